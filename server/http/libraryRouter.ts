import { Router } from 'express';
import { z } from 'zod';
import { idSchema } from '../../shared/ids.js';
import type { LibraryLesson } from '../../shared/library.js';
import { AppError } from '../errors.js';
import type { PublishedSegment, RecordingPart, RecordingStore } from '../store/recordingStore.js';
import { sendRecording } from './recordingFiles.js';
import { parse } from './validate.js';

/** Subjects and grades are short names from the timetable ('数学', '三年级'). */
const label = z.string().trim().min(1).max(40);
const listQuery = z
  .object({ subject: label.optional(), grade: label.optional(), limit: z.coerce.number().int().min(1).max(1000).default(300) })
  .strict();
const noQuery = z.object({}).strict();

/** The library by lesson, each with its published segments in the order they were recorded. */
function byLesson(segments: PublishedSegment[]): LibraryLesson[] {
  const lessons = new Map<string, LibraryLesson>();
  for (const { lesson, ...segment } of segments) {
    let entry = lessons.get(lesson.lessonId);
    if (!entry) lessons.set(lesson.lessonId, (entry = { ...lesson, segments: [] }));
    entry.segments.push(segment);
  }
  return [...lessons.values()];
}

/**
 * 精品课点播: the recorded lessons an administrator published, for pupils and teachers to watch
 * again after class. Public (no sign-in): only what was published is listed or served, and the
 * listing names the lesson, its school and its teacher, never a file path. Receiving classrooms
 * are never recorded, so no pupil is in these files.
 */
export function libraryRouter(deps: { recordings: RecordingStore; recordingsDir: string }): Router {
  const r = Router();

  r.get('/', (req, res) => {
    const q = parse(listQuery, req.query);
    const segments = deps.recordings.published({ limit: q.limit, ...(q.subject ? { subject: q.subject } : {}), ...(q.grade ? { grade: q.grade } : {}) });
    res.setHeader('cache-control', 'no-store');
    res.json({ lessons: byLesson(segments) });
  });

  const serve = (part: RecordingPart) =>
    r.get(`/recordings/:id/${part === 'main' ? 'file' : part}`, (req, res, next) => {
      parse(noQuery, req.query);
      const rec = deps.recordings.get(parse(idSchema, req.params.id));
      // Not published and unknown look alike: the library tells nothing of the rest.
      if (!rec || rec.publishedAt === null || rec.endedAt === null) throw new AppError('NOT_FOUND', 'no such published recording');
      sendRecording(res, next, deps.recordingsDir, rec, part);
    });
  serve('main');
  serve('camera');
  serve('light');
  return r;
}
