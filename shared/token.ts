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

/** 128 bits or more of randomness, as the pages make it (hex); nothing that could be a path or a room name of ours. */
export const peerKeySchema = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'a media session key is 16–64 letters, digits, - or _');

/** Socket.IO sends the token in the handshake's `auth` object. */
export const handshakeAuthSchema = z.object({
  token: z.string().min(1).max(4096),
  /** Only an inspector chooses the lesson at connect; every other grant names its own. */
  lessonId: idSchema.optional(),
  /**
   * A page's media session key, random and kept for the page's life: a connection that brings
   * back the key of one that dropped takes over its media (still flowing) instead of starting over.
   */
  peer: peerKeySchema.optional(),
});
