import { z } from 'zod';
import { idSchema } from '../../shared/ids.js';

/** Request bodies of the model API, parsed at the HTTP boundary. */
const name = (max: number) => z.string().trim().min(1, 'is required').max(max);

export const communityBodySchema = z
  .object({
    id: idSchema.optional(),
    name: name(100),
    type: z.enum(['assistance', 'alliance', 'group']),
    coreSchoolId: idSchema.nullable().default(null),
  })
  .strict();
export type CommunityBody = z.infer<typeof communityBodySchema>;

export const schoolBodySchema = z
  .object({
    id: idSchema.optional(),
    communityId: idSchema,
    name: name(100),
    district: name(64),
    area: z.enum(['urban', 'rural']),
  })
  .strict();
export type SchoolBody = z.infer<typeof schoolBodySchema>;

export const classroomBodySchema = z
  .object({
    id: idSchema.optional(),
    schoolId: idSchema,
    name: name(64),
    kind: z.enum(['lecture', 'receiving']),
  })
  .strict();
export type ClassroomBody = z.infer<typeof classroomBodySchema>;

/** A timetable entry; times are ISO 8601 instants with an offset, e.g. 2025-03-03T08:00+08:00. */
export const plannedLessonBodySchema = z
  .object({
    id: idSchema.optional(),
    title: z.string().trim().max(100).optional(),
    subject: name(32),
    grade: z.string().trim().max(32).default(''),
    teacherName: name(64),
    lectureClassroomId: idSchema,
    receivingClassroomIds: z
      .array(idSchema)
      .min(1, 'needs at least one receiving classroom')
      .max(100)
      .refine((ids) => new Set(ids).size === ids.length, 'lists a classroom twice'),
    plannedStart: z.string().datetime({ offset: true }).transform((s) => Date.parse(s)),
    plannedEnd: z.string().datetime({ offset: true }).transform((s) => Date.parse(s)),
  })
  .strict();
export type PlannedLessonBody = z.infer<typeof plannedLessonBodySchema>;
