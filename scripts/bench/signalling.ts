import { io as ioClient, type Socket } from 'socket.io-client';
import type { Ack } from '../../shared/errors.js';
import type { ClientEventName, ClientToServerEvents, PayloadOf, ResultOf, ServerToClientEvents } from '../../shared/events.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Opens a Socket.IO connection as a browser page would (websocket, token in the handshake). */
export function connect(
  url: string,
  token: string,
  timeoutMs = 10_000,
  /** Listeners to add before the first event can arrive (media:session follows connect at once). */
  before: (socket: ClientSocket) => void = () => {},
): Promise<ClientSocket> {
  const socket: ClientSocket = ioClient(url, { auth: { token }, transports: ['websocket'], reconnection: false, timeout: timeoutMs });
  before(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.disconnect();
      reject(err);
    });
  });
}

/** Emits one protocol event and returns its data, or throws with the server's error code. */
export function request<E extends ClientEventName>(socket: ClientSocket, event: E, payload: PayloadOf<E>, timeoutMs = 10_000): Promise<ResultOf<E>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${event}: no ack within ${timeoutMs} ms`)), timeoutMs);
    (socket.emit as (e: string, p: unknown, cb: (a: Ack<ResultOf<E>>) => void) => void)(event, payload, (ack) => {
      clearTimeout(timer);
      if (ack.ok) resolve(ack.data);
      else reject(new Error(`${event}: ${ack.error.code} ${ack.error.message}`));
    });
  });
}

/*
 * Browser-shaped parameters for signalling without WebRTC (the server only stores the DTLS
 * fingerprint in this run): the same fixtures the integration tests use.
 */
export {
  audioRtpParameters as teacherMicrophone,
  dtlsParameters as FAKE_DTLS,
  simulcastVideoRtpParameters as teacherCamera,
} from '../../test/helpers/rtp.js';
