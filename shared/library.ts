import { z } from 'zod';

/**
 * 精品课点播: what the public library (GET /api/library) answers. The server builds it and the
 * library page parses it with these schemas; it names lessons, schools and teachers, never a
 * file path.
 */
export const librarySegmentSchema = z.object({
  id: z.string(),
  startedAt: z.number(),
  durationMs: z.number(),
  /** Both files together (a shared screen's segment has the teacher's camera beside it). */
  bytes: z.number(),
  hasCamera: z.boolean(),
  /**
   * The light copy for weak links (流畅版: 540 px at most, ~0.5 Mbit/s, the camera drawn into a
   * screen's corner), made the night after publishing; null until then.
   */
  lightBytes: z.number().nullable(),
});
export type LibrarySegment = z.infer<typeof librarySegmentSchema>;

export const libraryLessonInfoSchema = z.object({
  lessonId: z.string(),
  title: z.string(),
  subject: z.string(),
  grade: z.string(),
  teacherName: z.string(),
  /** The lecture school. */
  schoolName: z.string(),
  startedAt: z.number(),
});
export type LibraryLessonInfo = z.infer<typeof libraryLessonInfoSchema>;

export const libraryLessonSchema = libraryLessonInfoSchema.extend({ segments: z.array(librarySegmentSchema) });
export type LibraryLesson = z.infer<typeof libraryLessonSchema>;

export const libraryListSchema = z.object({ lessons: z.array(libraryLessonSchema) });
