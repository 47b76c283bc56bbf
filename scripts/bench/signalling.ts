import { io as ioClient, type Socket } from 'socket.io-client';
import type { Ack } from '../../shared/errors.js';
import type { ClientEventName, ClientToServerEvents, PayloadOf, ResultOf, ServerToClientEvents } from '../../shared/events.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Opens a Socket.IO connection as a browser page would (websocket, token in the handshake). */
export function connect(url: string, token: string, timeoutMs = 10_000): Promise<ClientSocket> {
  const socket: ClientSocket = ioClient(url, { auth: { token }, transports: ['websocket'], reconnection: false, timeout: timeoutMs });
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

/** A DTLS fingerprint of the right shape: the server only stores it (no DTLS in this run). */
export const FAKE_DTLS = {
  role: 'client' as const,
  fingerprints: [
    { algorithm: 'sha-256', value: '82:5A:68:3D:36:C3:0A:DE:AF:E7:32:43:D2:88:83:57:AC:2D:65:E5:80:C4:B6:FB:AF:1A:A0:21:9F:6D:0C:AD' },
  ],
};

/** The teacher's camera as a browser sends it: VP8 with three simulcast layers. */
export const teacherCamera = {
  mid: '0',
  codecs: [
    {
      mimeType: 'video/VP8',
      payloadType: 101,
      clockRate: 90000,
      rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
    },
  ],
  headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id', id: 10 }],
  encodings: [
    { rid: 'r0', scalabilityMode: 'L1T3', maxBitrate: 150_000 },
    { rid: 'r1', scalabilityMode: 'L1T3', maxBitrate: 500_000 },
    { rid: 'r2', scalabilityMode: 'L1T3', maxBitrate: 1_800_000 },
  ],
  rtcp: { cname: 'bench-teacher' },
};

export const teacherMicrophone = {
  mid: '1',
  codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
  headerExtensions: [],
  encodings: [{ ssrc: 11111111 }],
  rtcp: { cname: 'bench-teacher' },
};
