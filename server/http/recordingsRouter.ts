import { Router } from 'express';
import { z } from 'zod';
import { idSchema } from '../../shared/ids.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { DiskRoom } from '../store/diskRoom.js';
import { deleteRecording, type RecordingRow, type RecordingStore } from '../store/recordingStore.js';
import { existingPart, sendRecording } from './recordingFiles.js';
import type { Store } from '../store/types.js';
import { requireAction } from './adminAuth.js';
import { parse } from './validate.js';

const listQuery = z
  .object({ lessonId: idSchema.optional(), limit: z.coerce.number().int().min(1).max(500).default(100) })
  .strict();
const noQuery = z.object({}).strict();
const publishBody = z.object({ published: z.boolean() }).strict();

/**
 * 录播: the recorded segments of lessons, to list, watch (a WebM file served with byte ranges, so
 * the player can seek; beside a shared screen, the teacher's camera in a second file) and delete.
 * Watching needs admin:read; publishing to the library (精品课点播, GET /api/library) and deleting
 * need admin:write.
 */
export function recordingsRouter(deps: {
  recordings: RecordingStore;
  recordingsDir: string;
  recordingRoom: DiskRoom;
  store: Store;
  log: Logger;
}): Router {
  const { recordings, store } = deps;
  const r = Router();

  const view = (rec: RecordingRow) => {
    const lesson = store.getLesson(rec.lessonId);
    return {
      ...rec,
      lessonTitle: lesson?.title ?? null,
      teacherName: lesson?.teacherName ?? null,
      durationMs: rec.endedAt === null ? null : rec.endedAt - rec.startedAt,
      recording: rec.endedAt === null,
    };
  };
  const found = (id: string) => {
    const rec = recordings.get(id);
    if (!rec) throw new AppError('NOT_FOUND', 'unknown recording');
    return rec;
  };

  r.get('/recordings', (req, res) => {
    const q = parse(listQuery, req.query);
    const room = deps.recordingRoom;
    res.json({
      recordings: recordings.list({ ...(q.lessonId ? { lessonId: q.lessonId } : {}), limit: q.limit }).map(view),
      // What the admin needs to keep recording possible: below minFreeBytes no lesson records.
      storage: { freeBytes: room.freeBytes(), minFreeBytes: room.minFreeBytes, enough: room.enough() },
    });
  });

  r.get('/recordings/:id/file', (req, res, next) => {
    parse(noQuery, req.query);
    const rec = found(parse(idSchema, req.params.id));
    sendRecording(res, next, deps.recordingsDir, rec, 'main');
  });

  r.get('/recordings/:id/camera', (req, res, next) => {
    parse(noQuery, req.query);
    const rec = found(parse(idSchema, req.params.id));
    sendRecording(res, next, deps.recordingsDir, rec, 'camera');
  });

  r.put('/recordings/:id', requireAction('admin:write'), (req, res) => {
    const rec = found(parse(idSchema, req.params.id));
    const { published } = parse(publishBody, req.body);
    if (rec.endedAt === null) throw new AppError('CONFLICT', 'this segment is still being recorded: stop the recording first');
    // Publishing again keeps the first date: the library's order does not change.
    if (published !== (rec.publishedAt !== null)) recordings.publish(rec.id, published ? Date.now() : null);
    deps.log.info({ recordingId: rec.id, lessonId: rec.lessonId, published }, 'recording publication changed');
    res.json(view(found(rec.id)));
  });

  r.delete('/recordings/:id', requireAction('admin:write'), (req, res) => {
    const rec = found(parse(idSchema, req.params.id));
    if (rec.endedAt === null) throw new AppError('CONFLICT', 'this segment is still being recorded: stop the recording first');
    existingPart(deps.recordingsDir, rec, 'main'); // refused as NOT_FOUND outside the folder, as for watching
    deleteRecording(recordings, deps.recordingsDir, rec);
    deps.log.info({ recordingId: rec.id, lessonId: rec.lessonId }, 'recording deleted');
    res.status(204).end();
  });
  return r;
}
