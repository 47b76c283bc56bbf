import { z } from 'zod';

/** Every error code a client can receive, in acks and in HTTP error bodies. */
export const ERROR_CODES = [
  'BAD_REQUEST', // payload failed schema validation
  'UNAUTHENTICATED', // missing, forged or expired token
  'FORBIDDEN', // the role may not do this, or not on this lesson/classroom
  'NOT_FOUND', // unknown lesson, classroom, transport, producer...
  'CONFLICT', // the action does not fit the current state (e.g. lesson already ended)
  'RATE_LIMITED',
  'MEDIA_ERROR', // mediasoup refused the operation
  'STORAGE_FULL', // the server is short of disk space (a recording would endanger the lesson log)
  'INTERNAL',
] as const;
export const errorCodeSchema = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof errorCodeSchema>;

export const errorBodySchema = z.object({
  code: errorCodeSchema,
  message: z.string(),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** The shape of every Socket.IO acknowledgement. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
export type AckCallback<T> = (result: Ack<T>) => void;
