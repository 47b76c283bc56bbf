import { z } from 'zod';
import { attendanceSchema, questionSchema, quizStateSchema } from './coordination.js';
import { idSchema } from './ids.js';
import { producerInfoSchema, qualityModeSchema } from './media.js';

export const LESSON_STATUSES = ['scheduled', 'live', 'ended'] as const;
export const lessonStatusSchema = z.enum(LESSON_STATUSES);
export type LessonStatus = z.infer<typeof lessonStatusSchema>;

export const areaSchema = z.enum(['urban', 'rural']);

export const classroomPresenceSchema = z.object({
  classroomId: idSchema,
  name: z.string(),
  schoolName: z.string(),
  area: areaSchema,
  online: z.boolean(),
  /** Online, but its signalling dropped: its media flows on while the page reconnects. */
  reconnecting: z.boolean(),
  /** Online, but its media has not got through for a while: its network blocks the media ports, most likely. */
  mediaBlocked: z.boolean(),
  attendance: attendanceSchema.nullable(),
  handRaised: z.boolean(),
  onStage: z.boolean(),
  /** 0–10 from mediasoup's transport/consumer scores; null before any media flows. */
  quality: z.number().nullable(),
});
export type ClassroomPresence = z.infer<typeof classroomPresenceSchema>;

/**
 * The whole state of a lesson as one participant may see it. Sent on every change and on
 * request, so a client that reconnects never depends on events it missed.
 */
export const lessonStateSchema = z.object({
  lessonId: idSchema,
  title: z.string(),
  subject: z.string(),
  teacherName: z.string(),
  lectureClassroom: z.object({
    classroomId: idSchema,
    name: z.string(),
    schoolName: z.string(),
    attendance: attendanceSchema.nullable(),
  }),
  status: lessonStatusSchema,
  startedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  teacherOnline: z.boolean(),
  classrooms: z.array(classroomPresenceSchema),
  /** Present head count over all receiving classrooms that reported. */
  presentTotal: z.number(),
  /** Open questions in the order the teacher should take them. */
  questions: z.array(questionSchema),
  stage: z.object({ classroomIds: z.array(idSchema), max: z.number() }),
  /** The open quiz, or the last closed one. */
  quiz: quizStateSchema.nullable(),
  producers: z.array(producerInfoSchema),
  /** 录播: whether the teacher's camera and microphone are being recorded, and since when. */
  recording: z.object({
    active: z.boolean(),
    since: z.number().nullable(),
    /** A file is being written now; false while recording waits for the teacher's media or fails. */
    writing: z.boolean(),
    /**
     * Why recording stopped by itself, until the teacher starts it again: storage_full when the
     * server ran short of disk space (the lesson log comes first).
     */
    halted: z.enum(['storage_full']).nullable(),
  }),
  /**
   * How the receiving classrooms get the teacher's camera: how many on each simulcast
   * layer (0 low … 2 high), in audio-only mode, or not receiving video yet; and how many of them
   * sit on a media core at its limit that caps their layer for now (load shedding).
   */
  reception: z.object({ layers: z.array(z.number()), audioOnly: z.number(), none: z.number(), serverCapped: z.number() }),
  /** Who this state was built for, and the quality mode it chose. */
  viewer: z.object({
    role: z.enum(['teacher', 'assistant', 'inspector']),
    classroomId: idSchema.nullable(),
    qualityMode: qualityModeSchema,
    /**
     * While the media server's core that serves this classroom is at its limit, the highest
     * simulcast layer it forwards to it (0: 320 px, 1: 640 px), where that is below what the
     * classroom's mode asks for; null: no such cap. The page says the blur is the server's, not
     * the classroom's network.
     */
    serverLayerCap: z.number().int().min(0).nullable(),
  }),
});
export type LessonState = z.infer<typeof lessonStateSchema>;
