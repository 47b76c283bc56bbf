import { z } from 'zod';
import { idSchema } from './ids.js';
import { producerInfoSchema } from './media.js';

export const LESSON_STATUSES = ['scheduled', 'live', 'ended'] as const;
export const lessonStatusSchema = z.enum(LESSON_STATUSES);
export type LessonStatus = z.infer<typeof lessonStatusSchema>;

export const classroomPresenceSchema = z.object({
  classroomId: idSchema,
  name: z.string(),
  schoolName: z.string(),
  online: z.boolean(),
});
export type ClassroomPresence = z.infer<typeof classroomPresenceSchema>;

/**
 * The whole state of a lesson as one client may see it. Sent on every change and on
 * request, so a client that reconnects never depends on events it missed.
 */
export const lessonStateSchema = z.object({
  lessonId: idSchema,
  title: z.string(),
  subject: z.string(),
  teacherName: z.string(),
  lectureClassroom: z.object({ name: z.string(), schoolName: z.string() }),
  status: lessonStatusSchema,
  startedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  teacherOnline: z.boolean(),
  classrooms: z.array(classroomPresenceSchema),
  producers: z.array(producerInfoSchema),
});
export type LessonState = z.infer<typeof lessonStateSchema>;
