import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as ioClient, type Socket } from 'socket.io-client';
import type { Ack } from '../../shared/errors.js';
import type { ClientEventName, ClientToServerEvents, PayloadOf, ResultOf, ServerToClientEvents } from '../../shared/events.js';
import type { Grant } from '../../shared/token.js';
import { loadConfig, type Config } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import { seedDemo } from '../../server/store/demoSeed.js';
import { startTongke, type TongkeServer } from '../../server/tongkeServer.js';
import type { LessonRecord } from '../../server/store/types.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface TestServer {
  server: TongkeServer;
  lesson: LessonRecord;
  dataDir: string;
  url: string;
  token(grant: Grant, ttlSeconds?: number): Promise<string>;
  /** `auth` adds handshake fields (an inspector's `lessonId`). */
  connect(grant: Grant | string, auth?: Record<string, unknown>): Promise<ClientSocket>;
  close(): Promise<void>;
  /**
   * Stops the server gracefully, as an upgrade would, and starts it again on the same port,
   * data and secret: `server` is the new one afterwards.
   */
  restart(opts?: { downMs?: number }): Promise<void>;
}

export function testEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    NODE_ENV: 'test',
    MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN,
    TONGKE_HOST: '127.0.0.1',
    TONGKE_PORT: '0',
    TONGKE_RTC_PORT: '0',
    TONGKE_NUM_WORKERS: '1',
    TONGKE_ANNOUNCED_IP: '127.0.0.1',
    TONGKE_RTC_LISTEN_IP: '127.0.0.1',
    TONGKE_DATA_DIR: dataDir,
    TONGKE_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    TONGKE_TOKEN_SECRET: randomBytes(32).toString('hex'),
    ...extra,
  };
}

/** A real server on port 0 with a real worker and a real SQLite file in a temp dir. */
/** `configure` adjusts what the environment cannot say (timings tests shorten). */
export async function startTestServer(extra: Record<string, string> = {}, configure: (config: Config) => void = () => {}): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tongke-test-'));
  const env = testEnv(dataDir, extra);
  const config = loadConfig(env);
  configure(config);
  let server = await startTongke(config, createLogger(config.logLevel));
  const lesson = seedDemo(server.store);
  // The announced address (127.0.0.1 unless a test moves the server onto another interface).
  const url = server.url;
  const sockets: ClientSocket[] = [];
  const token = (grant: Grant, ttl = 600) => server.tokens.sign(grant, ttl);
  return {
    get server() {
      return server;
    },
    lesson,
    dataDir,
    url,
    token,
    async connect(grant, auth = {}) {
      const t = typeof grant === 'string' ? grant : await token(grant);
      const socket: ClientSocket = ioClient(url, { auth: { ...auth, token: t }, transports: ['websocket'], reconnection: false });
      sockets.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', (err) => reject(err));
      });
      return socket;
    },
    async close() {
      for (const s of sockets) s.disconnect();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
    async restart({ downMs = 0 } = {}) {
      const port = new URL(url).port;
      await server.close();
      await new Promise((r) => setTimeout(r, downMs));
      const again = loadConfig({ ...env, TONGKE_PORT: port });
      server = await startTongke(again, createLogger(again.logLevel));
    },
  };
}

/** Emits a protocol event and returns the raw ack. */
export function call<E extends ClientEventName>(
  socket: ClientSocket,
  event: E,
  payload: PayloadOf<E> | unknown,
): Promise<Ack<ResultOf<E>>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${event}: no ack`)), 10_000);
    (socket.emit as (e: string, p: unknown, cb: (a: Ack<ResultOf<E>>) => void) => void)(event, payload, (ack) => {
      clearTimeout(timer);
      resolve(ack);
    });
  });
}

/** Like call, but expects success and returns the data. */
export async function ok<E extends ClientEventName>(socket: ClientSocket, event: E, payload: PayloadOf<E>): Promise<ResultOf<E>> {
  const ack = await call(socket, event, payload);
  if (!ack.ok) throw new Error(`${event} failed: ${ack.error.code} ${ack.error.message}`);
  return ack.data;
}

export const teacherGrant = (lessonId: string): Grant => ({ role: 'teacher', lessonId, name: '李老师' });
export const classroomGrant = (lessonId: string, classroomId = 'demo-recv-1'): Grant => ({
  role: 'assistant',
  lessonId,
  classroomId,
});
export const inspectorGrant = (lessonId?: string): Grant => ({
  role: 'inspector',
  name: '督学王',
  ...(lessonId ? { lessonId } : {}),
});
