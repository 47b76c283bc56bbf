import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { TokenService } from '../auth/tokens.js';
import type { LessonService } from '../lessons/lessonService.js';
import type { Logger } from '../logger.js';
import { authMiddleware } from './auth.js';
import { lessonHandlers } from './handlers/lesson.js';
import { mediaHandlers } from './handlers/media.js';
import { lessonOf } from './participant.js';
import { registerHandlers, type Handlers } from './register.js';
import { lessonRoom, teacherRoom, type TongkeIo } from './types.js';

/** Socket.IO payloads are small JSON; anything larger is refused by the transport. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

export function attachRealtime(
  httpServer: HttpServer,
  deps: { tokens: TokenService; service: LessonService; log: Logger },
): TongkeIo {
  const { tokens, service, log } = deps;
  const io: TongkeIo = new Server(httpServer, {
    maxHttpBufferSize: MAX_MESSAGE_BYTES,
    serveClient: false,
    pingInterval: 10_000,
    pingTimeout: 8_000,
  });
  io.use(authMiddleware(tokens, service, log));

  const handlers: Handlers = { ...lessonHandlers(service), ...mediaHandlers(service) };

  // Every change goes out as the whole state: late joiners and reconnects need nothing else.
  service.on('stateChanged', (lessonId) => io.to(lessonRoom(lessonId)).emit('lesson:state', service.state(lessonId)));
  service.on('producerAdded', (lessonId, info) =>
    io.to(lessonRoom(lessonId)).except(teacherRoom(lessonId)).emit('media:producerAdded', info),
  );
  service.on('producerClosed', (lessonId, producerId) =>
    io.to(lessonRoom(lessonId)).emit('media:producerClosed', { producerId }),
  );
  service.on('consumerClosed', (_lessonId, peerId, consumerId) =>
    io.to(peerId).emit('media:consumerClosed', { consumerId }),
  );

  io.on('connection', (socket) => {
    const grant = socket.data.grant;
    const slog = log.child({ socket: socket.id, role: grant.role });
    registerHandlers(socket, handlers, slog);
    if (grant.role === 'admin') return;

    const { lessonId, participant } = lessonOf(grant);
    const plog = slog.child({
      lessonId,
      ...(participant.kind === 'classroom' ? { classroomId: participant.classroomId } : {}),
    });
    void socket.join(lessonRoom(lessonId));
    if (participant.kind === 'teacher') void socket.join(teacherRoom(lessonId));
    service.join(lessonId, participant);
    plog.info('joined lesson');
    socket.on('disconnect', (reason) => {
      service.leave(lessonId, participant, socket.id);
      plog.info({ reason }, 'left lesson');
    });
  });
  return io;
}
