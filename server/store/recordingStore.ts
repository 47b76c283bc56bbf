import { rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { LibraryLessonInfo, LibrarySegment } from '../../shared/library.js';
import type { Db } from './db.js';

/** A file's size in bytes; 0 when it is not there. */
export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * Where a recording's file is, under the recordings directory `dir`; null for a path that would
 * lead outside it (the rows are ours, written by the recorder, but a path is checked all the same).
 */
export function recordingFile(dir: string, rec: { file: string }): string | null {
  const root = path.resolve(dir);
  const file = path.resolve(root, rec.file);
  return file.startsWith(root + path.sep) ? file : null;
}

/**
 * A segment's files: the picture and sound; beside a shared screen, the teacher's camera; once
 * published, the light copy for weak links (流畅版).
 */
export const RECORDING_PARTS = ['main', 'camera', 'light'] as const;
export type RecordingPart = (typeof RECORDING_PARTS)[number];

/** The one naming of a segment's files, relative to the recordings directory: `<lesson>/<id>[.part].webm`. */
export function partName(mainFile: string, part: RecordingPart): string {
  return part === 'main' ? mainFile : `${mainFile.replace(/\.webm$/, '')}.${part}.webm`;
}

/** Where one of a segment's files is (see `recordingFile`); null when the segment has no such file. */
export function partFile(dir: string, rec: Pick<RecordingRow, 'file' | 'cameraFile' | 'lightFile'>, part: RecordingPart): string | null {
  const relative = { main: rec.file, camera: rec.cameraFile, light: rec.lightFile }[part];
  return relative === null ? null : recordingFile(dir, { file: relative });
}

/** Deletes a finished recording: its files, then its row. */
export function deleteRecording(recordings: RecordingStore, dir: string, rec: RecordingRow): void {
  for (const part of RECORDING_PARTS) {
    const file = partFile(dir, rec, part);
    if (file) rmSync(file, { force: true });
  }
  recordings.remove(rec.id);
}

export interface RecordingRow {
  id: string;
  lessonId: string;
  /** Relative to the recordings directory. */
  file: string;
  startedAt: number;
  endedAt: number | null;
  bytes: number;
  /**
   * While a screen was shared: the teacher's camera and microphone over the same time, in a
   * file of their own (relative like `file`), shown in a corner of the screen when played.
   */
  cameraFile: string | null;
  cameraBytes: number;
  /** When an administrator published it to the library (精品课点播); null: not published. */
  publishedAt: number | null;
  /** A published segment's light copy for weak links (流畅版), made at night; null until then. */
  lightFile: string | null;
  lightBytes: number;
}

/** A published segment and what the library shows of its lesson (no file paths). */
export type PublishedSegment = LibrarySegment & { lesson: LibraryLessonInfo };

interface Row {
  id: string;
  lesson_id: string;
  file: string;
  started_at: number;
  ended_at: number | null;
  bytes: number;
  camera_file: string | null;
  camera_bytes: number;
  published_at: number | null;
  light_file: string | null;
  light_bytes: number;
}

const toRecording = (r: Row): RecordingRow => ({
  id: r.id,
  lessonId: r.lesson_id,
  file: r.file,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  bytes: r.bytes,
  cameraFile: r.camera_file,
  cameraBytes: r.camera_bytes,
  publishedAt: r.published_at,
  lightFile: r.light_file,
  lightBytes: r.light_bytes,
});

/** The recorded segments of lessons (录播): one row per WebM file under the recordings directory. */
export class RecordingStore {
  constructor(private readonly db: Db) {}

  add(r: { id: string; lessonId: string; file: string; startedAt: number; cameraFile?: string | null }): void {
    this.db
      .prepare('INSERT INTO recordings (id, lesson_id, file, started_at, camera_file) VALUES (?, ?, ?, ?, ?)')
      .run(r.id, r.lessonId, r.file, r.startedAt, r.cameraFile ?? null);
  }

  /** `camera`: what the camera file holds, or null to drop it from the row (nothing was written). */
  finish(id: string, endedAt: number, bytes: number, camera: { bytes: number } | null = { bytes: 0 }): void {
    if (camera === null) {
      this.db.prepare('UPDATE recordings SET ended_at = ?, bytes = ?, camera_file = NULL, camera_bytes = 0 WHERE id = ?').run(endedAt, bytes, id);
    } else {
      this.db.prepare('UPDATE recordings SET ended_at = ?, bytes = ?, camera_bytes = ? WHERE id = ?').run(endedAt, bytes, camera.bytes, id);
    }
  }

  get(id: string): RecordingRow | null {
    const row = this.db.prepare('SELECT * FROM recordings WHERE id = ?').get(id) as Row | undefined;
    return row ? toRecording(row) : null;
  }

  /** Newest first: one lesson's, or every lesson's. */
  list(filter: { lessonId?: string; limit: number }): RecordingRow[] {
    const rows = filter.lessonId
      ? this.db.prepare('SELECT * FROM recordings WHERE lesson_id = ? ORDER BY started_at DESC LIMIT ?').all(filter.lessonId, filter.limit)
      : this.db.prepare('SELECT * FROM recordings ORDER BY started_at DESC LIMIT ?').all(filter.limit);
    return (rows as Row[]).map(toRecording);
  }

  /**
   * Finished segments that ended before `t` (the retention's cut-off), except those published to
   * the library: 精品课 stay until an administrator withdraws or deletes them.
   */
  endedBefore(t: number): RecordingRow[] {
    return (
      this.db.prepare('SELECT * FROM recordings WHERE ended_at IS NOT NULL AND ended_at < ? AND published_at IS NULL').all(t) as Row[]
    ).map(toRecording);
  }

  /** Publishes a finished segment to the library at `at`, or withdraws it (null). */
  publish(id: string, at: number | null): void {
    this.db.prepare('UPDATE recordings SET published_at = ? WHERE id = ? AND ended_at IS NOT NULL').run(at, id);
  }

  /** Published segments still without a light copy, the earliest published first. */
  wantingLightCopy(limit: number): RecordingRow[] {
    return (
      this.db
        .prepare('SELECT * FROM recordings WHERE published_at IS NOT NULL AND ended_at IS NOT NULL AND light_file IS NULL ORDER BY published_at LIMIT ?')
        .all(limit) as Row[]
    ).map(toRecording);
  }

  setLightCopy(id: string, file: string, bytes: number): void {
    this.db.prepare('UPDATE recordings SET light_file = ?, light_bytes = ? WHERE id = ?').run(file, bytes, id);
  }

  /** The library: published segments, newest lesson first and each lesson's in order; optionally one subject or grade. */
  published(filter: { subject?: string; grade?: string; limit: number }): PublishedSegment[] {
    const rows = this.db
      .prepare(
        `SELECT r.id, r.lesson_id, l.title, l.subject, l.grade, l.teacher_name, s.name AS school_name,
                COALESCE(l.started_at, r.started_at) AS lesson_started_at,
                r.started_at, r.ended_at - r.started_at AS duration_ms, r.bytes + r.camera_bytes AS bytes,
                r.camera_file IS NOT NULL AS has_camera, CASE WHEN r.light_file IS NULL THEN NULL ELSE r.light_bytes END AS light_bytes
           FROM recordings r
           JOIN lessons l ON l.id = r.lesson_id
           JOIN classrooms c ON c.id = l.lecture_classroom_id
           JOIN schools s ON s.id = c.school_id
          WHERE r.published_at IS NOT NULL AND r.ended_at IS NOT NULL
            AND (@subject IS NULL OR l.subject = @subject) AND (@grade IS NULL OR l.grade = @grade)
          ORDER BY COALESCE(l.started_at, l.created_at) DESC, l.id, r.started_at
          LIMIT @limit`,
      )
      .all({ subject: filter.subject ?? null, grade: filter.grade ?? null, limit: filter.limit }) as {
      id: string;
      lesson_id: string;
      title: string;
      subject: string;
      grade: string;
      teacher_name: string;
      school_name: string;
      lesson_started_at: number;
      started_at: number;
      duration_ms: number;
      bytes: number;
      has_camera: number;
      light_bytes: number | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      startedAt: r.started_at,
      durationMs: r.duration_ms,
      bytes: r.bytes,
      hasCamera: r.has_camera === 1,
      lightBytes: r.light_bytes,
      lesson: {
        lessonId: r.lesson_id,
        title: r.title,
        subject: r.subject,
        grade: r.grade,
        teacherName: r.teacher_name,
        schoolName: r.school_name,
        startedAt: r.lesson_started_at,
      },
    }));
  }

  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM recordings WHERE id = ?').run(id).changes > 0;
  }

  /** Segments a process that died left open: closed with what their files hold. */
  closeUnfinished(endedAt: number, sizeOf: (file: string) => number): number {
    const open = this.db.prepare('SELECT * FROM recordings WHERE ended_at IS NULL').all() as Row[];
    for (const r of open) this.finish(r.id, endedAt, sizeOf(r.file), { bytes: r.camera_file === null ? 0 : sizeOf(r.camera_file) });
    return open.length;
  }
}
