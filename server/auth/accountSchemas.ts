import { z } from 'zod';
import { idSchema } from '../../shared/ids.js';
import { roleSchema } from '../../shared/roles.js';

const name = z.string().trim().min(1).max(64);

// Long passphrases are fine; an upper bound keeps scrypt's input small.
const passwordSchema = z.string().min(10, 'at least 10 characters').max(256);

/** What an admin sends to create an account; the scope must fit the role. */
export const newAccountSchema = z
  .object({
    username: z.string().trim().min(2).max(64).regex(/^[A-Za-z0-9._@-]+$/, 'letters, digits and . _ @ - only'),
    displayName: name,
    role: roleSchema,
    password: passwordSchema,
    /** teacher: runs the lessons that carry this teacher name. */
    teacherName: name.optional(),
    /** assistant: acts for this receiving classroom. */
    classroomId: idSchema.optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if ((a.role === 'teacher') !== (a.teacherName !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['teacherName'], message: 'required for a teacher, and only for a teacher' });
    }
    if ((a.role === 'assistant') !== (a.classroomId !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['classroomId'], message: 'required for an assistant, and only for an assistant' });
    }
  });
export type NewAccount = z.infer<typeof newAccountSchema>;

export const loginSchema = z
  .object({ username: z.string().trim().min(1).max(64), password: z.string().min(1).max(256) })
  .strict();

/** The account's own change: the current password proves it is still its owner at the keyboard. */
export const passwordChangeSchema = z
  .object({ currentPassword: z.string().min(1).max(256), newPassword: passwordSchema })
  .strict();

/** An administrator's reset: the new password, handed to the person by other means. */
export const passwordResetSchema = z.object({ password: passwordSchema }).strict();

export const socketTokenRequestSchema = z.object({ lessonId: idSchema.optional() }).strict();

export const enrolmentRequestSchema = z.object({ classroomId: idSchema }).strict();

/** Enrolment codes are typed by a person: 10 characters of an unambiguous alphabet, dashes ignored. */
export const ENROL_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const enrolSchema = z
  .object({
    code: z
      .string()
      .max(32)
      .transform((c) => c.replace(/[\s-]/g, '').toUpperCase())
      .pipe(z.string().regex(new RegExp(`^[${ENROL_ALPHABET}]{10}$`), 'not an enrolment code')),
    label: z.string().trim().min(1).max(64).default('classroom PC'),
  })
  .strict();
