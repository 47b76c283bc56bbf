import { z } from 'zod';
import { idSchema } from './ids.js';

/**
 * The grants a Socket.IO token carries: who (role), for what (lesson, classroom).
 * A token grants exactly one of these shapes, nothing more.
 */
export const grantSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('teacher'), lessonId: idSchema, name: z.string().max(64) }),
  z.object({ role: z.literal('assistant'), lessonId: idSchema, classroomId: idSchema }),
  z.object({ role: z.literal('admin'), name: z.string().max(64) }),
  /*
   * 巡课: may watch any lesson. The token may pin one lesson; otherwise the lesson is
   * chosen at connect (handshake `lessonId`) and the server writes it into the socket's grant.
   */
  z.object({ role: z.literal('inspector'), name: z.string().max(64), lessonId: idSchema.optional() }),
]);
export type Grant = z.infer<typeof grantSchema>;

/** Socket.IO sends the token in the handshake's `auth` object. */
export const handshakeAuthSchema = z.object({
  token: z.string().min(1).max(4096),
  /** Only an inspector chooses the lesson at connect; every other grant names its own. */
  lessonId: idSchema.optional(),
});
