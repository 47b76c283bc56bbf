import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { Server } from 'socket.io';
import type { TokenService } from '../auth/tokens.js';
import type { TurnConfig } from '../auth/turnCredentials.js';
import type { AccessWithdrawals } from '../auth/withdrawals.js';
import type { LessonService } from '../lessons/lessonService.js';
import { Lingering, type LingerOptions } from '../lessons/lingering.js';
import type { Logger } from '../logger.js';
import { clientAddress, type TrustFn } from '../http/clientAddress.js';
import { IpBuckets } from '../http/ipRateLimit.js';
import { authMiddleware } from './auth.js';
import { StateBroadcaster } from './broadcast.js';
import { FloodGuard } from './floodGuard.js';
import { coordinationHandlers } from './handlers/coordination.js';
import { lessonHandlers } from './handlers/lesson.js';
import { mediaHandlers } from './handlers/media.js';
import { recordingHandlers } from './handlers/recording.js';
import { identityOfGrant, lessonOf } from './participant.js';
import { PeerSockets } from './peerSockets.js';
import { registerHandlers, type Handlers } from './register.js';
import { lessonRoom, subjectRoom, teacherRoom, type TongkeIo, type TongkeSocket } from './types.js';

/** Socket.IO payloads are small JSON; anything larger is refused by the transport. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

export function attachRealtime(
  httpServer: HttpServer | HttpsServer,
  deps: {
    tokens: TokenService;
    withdrawals: AccessWithdrawals;
    service: LessonService;
    log: Logger;
    handshakeLimit: { perSecond: number; burst: number };
    /** Which proxies may report a client's address (the same rule as the HTTP API's). */
    trustProxy: TrustFn;
    linger: LingerOptions;
    /** A TURN relay whose credentials go to every page with its transports. */
    turn: TurnConfig | null;
  },
): { io: TongkeIo; broadcaster: StateBroadcaster; peers: PeerSockets } {
  const { tokens, service, log } = deps;
  const io: TongkeIo = new Server(httpServer, {
    maxHttpBufferSize: MAX_MESSAGE_BYTES,
    serveClient: false,
    pingInterval: 10_000,
    // A classroom link too weak for its media (150 kbit/s, lossy) fills the bottleneck with
    // UDP, and the socket's TCP backs off: a pong 8 s late dropped the socket, and with it the
    // classroom's media, for a 2–3 s gap in sound (test/e2e/tooWeakLink.test.ts). Socket.IO's
    // own default; a silently vanished classroom shows offline after ~30 s instead of ~18 s.
    pingTimeout: 20_000,
  });
  const floodGuard = new FloodGuard();
  const handshakes = new IpBuckets(deps.handshakeLimit.perSecond, deps.handshakeLimit.burst);
  const addressOf = (socket: TongkeSocket) => clientAddress(socket.request, deps.trustProxy);
  io.use(authMiddleware(tokens, deps.withdrawals, service, log, floodGuard, { buckets: handshakes, addressOf }));
  // Access withdrawn (account deleted, password reset, PC revoked): its connections go now.
  // A page that knocks again is refused at the handshake, and says why.
  deps.withdrawals.on('withdrawn', (subject) => {
    log.info({ subject }, 'access withdrawn: closing its connections');
    io.in(subjectRoom(subject)).disconnectSockets(true);
  });

  const peers = new PeerSockets(service, new Lingering(deps.linger));

  const handlers: Handlers = {
    ...lessonHandlers(service),
    ...mediaHandlers(service, deps.turn),
    ...coordinationHandlers(service),
    ...recordingHandlers(service),
  };

  // Every change goes out as the whole state: late joiners and reconnects need nothing else.
  const broadcaster = new StateBroadcaster(io, service, log);
  service.on('stateChanged', (lessonId) => broadcaster.schedule(lessonId));
  service.on('producerAdded', (lessonId, info) => {
    const room = io.to(lessonRoom(lessonId));
    (info.ownerClassroomId === null ? room.except(teacherRoom(lessonId)) : room).emit('media:producerAdded', info);
  });
  service.on('producerClosed', (lessonId, producerId) =>
    io.to(lessonRoom(lessonId)).emit('media:producerClosed', { producerId }),
  );
  service.on('consumerClosed', (_lessonId, peerId, consumerId) =>
    io.to(peerId).emit('media:consumerClosed', { consumerId }),
  );
  service.on('transportClosed', (_lessonId, peerId, transportId) =>
    io.to(peerId).emit('media:transportClosed', { transportId }),
  );
  service.on('mediaReset', (lessonId, reason) => io.to(lessonRoom(lessonId)).emit('media:reset', { reason }));

  io.on('connection', (socket) => {
    const grant = socket.data.grant;
    const slog = log.child({ socket: socket.id, role: grant.role });
    registerHandlers(socket, handlers, slog, { guard: floodGuard, identity: identityOfGrant(grant) });
    if (socket.data.subject) void socket.join(subjectRoom(socket.data.subject));
    if (grant.role === 'admin') return;

    const { lessonId, participant } = lessonOf(grant);
    const plog = slog.child({
      lessonId,
      ...(participant.kind === 'classroom' ? { classroomId: participant.classroomId } : {}),
    });
    void socket.join(lessonRoom(lessonId));
    if (participant.kind === 'teacher') void socket.join(teacherRoom(lessonId));
    let joined: { resumed: boolean };
    try {
      joined = peers.attach(socket, lessonId, participant, plog);
    } catch (err) {
      plog.warn({ err }, 'could not join the lesson: disconnected');
      socket.disconnect(true);
      return;
    }
    // First thing the page hears: whether its media carried on across a signalling drop.
    socket.emit('media:session', joined);
    plog.info('joined lesson');
    socket.on('disconnect', (reason) => peers.detach(socket, lessonId, participant, reason, plog));
  });
  return { io, broadcaster, peers };
}
