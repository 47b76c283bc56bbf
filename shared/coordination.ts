import { z } from 'zod';
import { idSchema } from './ids.js';
import { LIMITS } from './limits.js';

/** Text from people: trimmed, bounded, no control characters (rendered as text anyway). */
const humanText = (max: number) =>
  z
    .string()
    .transform((s) => s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '').trim())
    .pipe(z.string().max(max, `at most ${max} characters`));

const headCount = z.number().int().min(0).max(LIMITS.maxHeadCount);

export const attendanceReportSchema = z
  .object({ expected: headCount.min(1), present: headCount })
  .strict()
  .refine((a) => a.present <= a.expected, { message: 'present cannot exceed expected', path: ['present'] });

export const questionRaiseSchema = z.object({ text: humanText(LIMITS.questionTextMax).optional() }).strict();
export const questionRefSchema = z.object({ questionId: idSchema }).strict();
export const QUESTION_RESOLUTIONS = ['answered', 'deferred', 'dismissed'] as const;
export const questionResolveSchema = z
  .object({ questionId: idSchema, resolution: z.enum(QUESTION_RESOLUTIONS) })
  .strict();

export const stageRefSchema = z.object({ classroomId: idSchema }).strict();

export const quizOpenSchema = z
  .object({
    question: humanText(LIMITS.quizQuestionMax).optional(),
    options: z.number().int().min(LIMITS.quizMinOptions).max(LIMITS.quizMaxOptions),
    correctOption: z.number().int().min(0).max(LIMITS.quizMaxOptions - 1).nullable().optional(),
  })
  .strict()
  .refine((q) => q.correctOption == null || q.correctOption < q.options, {
    message: 'correctOption must be one of the options',
    path: ['correctOption'],
  });

export const quizAnswerSchema = z
  .object({ quizId: idSchema, counts: z.array(headCount).min(LIMITS.quizMinOptions).max(LIMITS.quizMaxOptions) })
  .strict();
export const quizRefSchema = z.object({ quizId: idSchema }).strict();

// ——— state pieces ———

export const attendanceSchema = z.object({ expected: z.number(), present: z.number(), updatedAt: z.number() });
export type Attendance = z.infer<typeof attendanceSchema>;

export const questionSchema = z.object({
  questionId: idSchema,
  classroomId: idSchema,
  text: z.string().nullable(),
  raisedAt: z.number(),
  deferred: z.boolean(),
});
export type Question = z.infer<typeof questionSchema>;

export const quizSideSchema = z.object({
  counts: z.array(z.number()),
  answered: z.number(),
  correctRate: z.number().nullable(),
});

export const quizStateSchema = z.object({
  quizId: idSchema,
  question: z.string().nullable(),
  options: z.number(),
  /** Hidden from classrooms while the quiz is open. */
  correctOption: z.number().nullable(),
  status: z.enum(['open', 'closed']),
  openedAt: z.number(),
  closedAt: z.number().nullable(),
  /** Per classroom (lecture classroom included); a classroom sees only its own. */
  answers: z.array(z.object({ classroomId: idSchema, counts: z.array(z.number()), at: z.number() })),
  total: quizSideSchema,
  /** City (lecture + urban receiving classrooms) and rural classrooms side by side. */
  city: quizSideSchema,
  rural: quizSideSchema,
});
export type QuizState = z.infer<typeof quizStateSchema>;
