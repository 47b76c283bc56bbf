import { io, type Socket } from 'socket.io-client';
import type { Ack } from '../../shared/errors.js';
import type {
  ClientEventName,
  ClientToServerEvents,
  PayloadOf,
  ResultOf,
  ServerToClientEvents,
} from '../../shared/events.js';

export type TongkeSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Where a page gets a socket token when its link carries none (a classroom device): quick, may fail. */
export type TokenProvider = () => Promise<string>;

/**
 * This page's media session key, kept for the page's life and sent at every (re)connection: a
 * connection that comes back with it carries on with the media the server still holds for it.
 * getRandomValues, not randomUUID: classroom PCs may reach the server over plain http.
 */
const sessionKey = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * A fixed token connects at once. A provider is asked at every (re)connection attempt, so a
 * renewed token is used after a network drop; such a socket is connected by the caller.
 */
export function connect(token: string | TokenProvider): TongkeSocket {
  const provider = typeof token === 'string' ? null : token;
  return io({
    auth: provider
      ? (cb: (data: object) => void) => {
          // No token (refused credential, no lesson): the server answers UNAUTHENTICATED and the page recovers.
          provider().then(
            (t) => cb({ token: t, peer: sessionKey }),
            () => cb({}),
          );
        }
      : { token, peer: sessionKey },
    autoConnect: !provider,
    transports: ['websocket', 'polling'],
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
  });
}

/** Presents another token from the next (re)connection on, keeping this page's media session key. */
export function presentToken(socket: TongkeSocket, token: string): void {
  socket.auth = { token, peer: sessionKey };
}

/** The token the next (re)connection presents; null for a page that asks a provider each time. */
export function presentedToken(socket: TongkeSocket): string | null {
  const auth: unknown = socket.auth;
  return typeof auth === 'object' && auth !== null && 'token' in auth && typeof auth.token === 'string' ? auth.token : null;
}

/** Sends one protocol request and resolves with its data, or rejects with its error. */
export function request<E extends ClientEventName>(
  socket: TongkeSocket,
  event: E,
  payload: PayloadOf<E>,
  timeoutMs = 10_000,
): Promise<ResultOf<E>> {
  return new Promise((resolve, reject) => {
    // Socket.IO's typings cannot follow a generic event name through timeout(); the
    // payload and result types are still tied to E by this function's signature.
    const timed = socket.timeout(timeoutMs) as unknown as {
      emit(e: E, p: PayloadOf<E>, cb: (err: Error | null, ack: Ack<ResultOf<E>>) => void): void;
    };
    timed.emit(event, payload, (err, ack) => {
      if (err) reject(new RequestError('TIMEOUT', `${event} timed out`));
      else if (ack.ok) resolve(ack.data);
      else reject(new RequestError(ack.error.code, ack.error.message));
    });
  });
}
