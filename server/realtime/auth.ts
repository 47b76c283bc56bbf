import { handshakeAuthSchema, type Grant } from '../../shared/token.js';
import type { TokenService } from '../auth/tokens.js';
import type { AccessWithdrawals } from '../auth/withdrawals.js';
import type { IpBuckets } from '../http/ipRateLimit.js';
import { AppError, toErrorBody } from '../errors.js';
import type { LessonService } from '../lessons/lessonService.js';
import type { Logger } from '../logger.js';
import type { FloodGuard } from './floodGuard.js';
import { identityOfGrant, lessonOf } from './participant.js';
import { peerIdOf } from './peerSockets.js';
import type { TongkeSocket } from './types.js';

/**
 * An inspector's token may pin a lesson or leave the choice to the handshake; a handshake
 * lesson that contradicts a pinned one is refused. Other roles may not choose at all.
 */
export function withInspectedLesson(grant: Grant, chosen: string | undefined): Grant {
  if (chosen === undefined) return grant;
  if (grant.role !== 'inspector') throw new AppError('BAD_REQUEST', 'only an inspector chooses a lesson at connect');
  if (grant.lessonId !== undefined && grant.lessonId !== chosen) {
    throw new AppError('FORBIDDEN', 'this token is for another lesson');
  }
  return { ...grant, lessonId: chosen };
}

/**
 * Socket.IO middleware: a connection without a valid, unexpired token for an existing
 * lesson, or with one an administrator has since withdrawn, is refused, and the client sees
 * why (connect_error with message and data.code).
 */
export function authMiddleware(
  tokens: TokenService,
  withdrawals: AccessWithdrawals,
  service: LessonService,
  log: Logger,
  flood: FloodGuard,
  handshakes?: { buckets: IpBuckets; addressOf: (socket: TongkeSocket) => string },
) {
  return (socket: TongkeSocket, next: (err?: Error) => void) => {
    void (async () => {
      // Per-IP bucket first: a handshake storm costs no token verification.
      if (handshakes && !handshakes.buckets.take(handshakes.addressOf(socket))) {
        throw new AppError('RATE_LIMITED', 'too many connections from this address: try again shortly');
      }
      const auth = handshakeAuthSchema.safeParse(socket.handshake.auth);
      if (!auth.success) {
        const noToken = auth.error.issues.some((i) => i.path[0] === 'token');
        if (noToken) throw new AppError('UNAUTHENTICATED', 'no token: open the link you were given');
        const first = auth.error.issues[0];
        throw new AppError('BAD_REQUEST', `${first?.path.join('.') ?? 'auth'}: ${first?.message ?? 'invalid handshake'}`);
      }
      const verified = await tokens.verify(auth.data.token);
      withdrawals.check(verified);
      const grant = withInspectedLesson(verified.grant, auth.data.lessonId);
      if (flood.isBanned(identityOfGrant(grant))) {
        throw new AppError('RATE_LIMITED', 'disconnected for flooding: try again in a minute');
      }
      if (grant.role !== 'admin') {
        const { lessonId, participant } = lessonOf(grant);
        service.assertParticipant(lessonId, participant);
        if (grant.role === 'inspector' && service.state(lessonId, participant).status === 'ended') {
          throw new AppError('CONFLICT', 'this lesson has ended: nothing to watch');
        }
      }
      socket.data.grant = grant;
      socket.data.subject = verified.subject;
      socket.data.peerId = peerIdOf(grant, auth.data.peer, socket.id);
    })().then(
      () => next(),
      (err: unknown) => {
        const { body, expected } = toErrorBody(err);
        if (!expected) log.error({ err }, 'socket auth failed');
        const refusal = new Error(body.message) as Error & { data: unknown };
        refusal.data = body;
        next(refusal);
      },
    );
  };
}
