import { createServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Grant } from '../shared/token.js';
import { resolveTokenSecret } from './auth/secret.js';
import { AccountService } from './auth/accountService.js';
import { DeviceService } from './auth/deviceService.js';
import { SocketTokenIssuer } from './auth/socketTokens.js';
import { TokenService } from './auth/tokens.js';
import { AccessWithdrawals } from './auth/withdrawals.js';
import { diskRoom } from './store/diskRoom.js';
import { fileSize, RecordingStore } from './store/recordingStore.js';
import type { Config } from './config.js';
import { SqliteAudit } from './audit/auditQueries.js';
import { createHttpApp } from './http/app.js';
import { trustFunction } from './http/clientAddress.js';
import { startJobs, type Jobs } from './jobs/scheduler.js';
import { ModelService } from './model/modelService.js';
import { ReportService } from './reports/reportService.js';
import { LessonService } from './lessons/lessonService.js';
import type { Logger } from './logger.js';
import { LessonMedia } from './media/lessonMedia.js';
import { WorkerPool } from './media/workerPool.js';
import { attachRealtime } from './realtime/attach.js';
import type { TongkeIo } from './realtime/types.js';
import { SqliteStore } from './store/sqliteStore.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_CLIENT_DIR = path.resolve(HERE, '../dist/client');

export interface TongkeServer {
  config: Config;
  store: SqliteStore;
  audit: SqliteAudit;
  reports: ReportService;
  tokens: TokenService;
  accounts: AccountService;
  devices: DeviceService;
  service: LessonService;
  pool: WorkerPool;
  io: TongkeIo;
  http: HttpServer | HttpsServer;
  /** The Express app (tests read its router stack for the authorization matrix). */
  app: Express;
  /** Base URL the server is reachable at (after listen). */
  url: string;
  /** A link to a page carrying a token in the fragment (never sent to servers or logs). */
  link(page: 'teacher' | 'classroom' | 'admin', grant: Grant, ttlSeconds: number): Promise<string>;
  close(): Promise<void>;
}

/**
 * The composition root's body: builds store, media, domain, HTTP and Socket.IO, listens,
 * and knows how to shut all of it down in the order mediasoup needs.
 */
export async function startTongke(
  config: Config,
  log: Logger,
  opts: { clientDir?: string } = {},
): Promise<TongkeServer> {
  const store = new SqliteStore(path.join(config.dataDir, 'tongke.sqlite'));
  let pool: WorkerPool | null = null;
  let jobs: Jobs | null = null;
  try {
    const tokens = new TokenService(resolveTokenSecret(config, log));
    pool = await WorkerPool.create({ ...config.media }, log);
    const workers = pool;
    // 录播: segment files under the data dir; segments a dead process left open are closed.
    const recordings = new RecordingStore(store.db);
    const recordingsDir = path.join(config.dataDir, 'recordings');
    recordings.closeUnfinished(Date.now(), (file) => fileSize(path.join(recordingsDir, file)));
    const recordingRoom = diskRoom([config.dataDir, recordingsDir], config.recordings.minFreeBytes);
    const service = new LessonService(
      store,
      () => LessonMedia.create(workers, log, {
          disconnectGraceMs: config.media.disconnectGraceMs,
          unreachableMs: config.media.unreachableMs,
        }),
      log,
      {
        maxOnStage: config.lessons.maxOnStage,
        recordings: { dir: recordingsDir, store: recordings, ffmpeg: config.recordings.ffmpeg, room: recordingRoom },
      },
    );
    service.resumeInterruptedLessons();
    const audit = new SqliteAudit(store);
    const reports = new ReportService(audit, path.join(config.dataDir, 'reports'));
    const model = new ModelService(store, Date.now, (lessonId) => service.planChanged(lessonId));
    jobs = startJobs({
      reports,
      store,
      retentionDays: config.privacy.questionRetentionDays,
      recordings: { store: recordings, dir: recordingsDir, retentionDays: config.recordings.retentionDays, ffmpeg: config.recordings.ffmpeg },
      log,
    });

    const withdrawals = new AccessWithdrawals(store.db);
    const accounts = new AccountService(store.db, store, config.auth, withdrawals);
    const devices = new DeviceService(store.db, store, config.auth.enrolCodeMs, withdrawals);
    const issuer = new SocketTokenIssuer(tokens, store, store.db, config.auth.socketTokenMarginMs);
    // One rule for who may report a client's address, for the HTTP API and Socket.IO alike.
    const trustProxy = trustFunction(config.http.trustProxy);
    const app = createHttpApp({
      config,
      trustProxy,
      tokens,
      withdrawals,
      accounts,
      devices,
      issuer,
      store,
      service,
      model,
      audit,
      reports,
      recordings,
      recordingsDir,
      recordingRoom,
      log,
      clientDir: opts.clientDir ?? DEFAULT_CLIENT_DIR,
      mediaLoad: () => workers.loadReport(),
      health: async () => ({
        workers: (await workers.resourceUsage()).length,
        // For monitoring: how many workers are at their CPU line (new classrooms avoid them).
        workersBusy: workers.loadReport().workers.filter((w) => w.busy).length,
        // …and how many cap their classrooms' picture to keep up (load shedding).
        workersShedding: workers.loadReport().workers.filter((w) => w.layerCap !== null).length,
        liveLessons: service.liveLessonIds().length,
        // For monitoring: the disk is short (recordings stop), without saying how much is free.
        storageLow: !recordingRoom.enough(),
      }),
    });
    const tls = config.http.tls;
    const http = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, app) : createServer(app);
    const { io, broadcaster, peers } = attachRealtime(http, {
      tokens,
      withdrawals,
      service,
      log,
      handshakeLimit: config.rateLimits.handshake,
      trustProxy,
      linger: config.realtime.linger,
      turn: config.media.turn,
    });

    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.http.port, config.http.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    const port = (http.address() as AddressInfo).port;
    const url = config.http.publicUrl?.replace(/\/$/, '') ?? `${tls ? 'https' : 'http'}://${config.media.announcedIp}:${port}`;

    let closing: Promise<void> | null = null;
    const close = () =>
      (closing ??= (async () => {
        log.info('shutting down');
        jobs?.stop();
        // Order matters for mediasoup 3.12: transports/routers, then WebRtcServers, then workers.
        broadcaster.close();
        // Segments being recorded are finished first, so their files play.
        await service.finishRecordings();
        io.emit('server:stopping', {});
        io.disconnectSockets(true);
        peers.close();
        service.closeAllMedia();
        await workers.close();
        await new Promise<void>((resolve) => {
          io.close(() => resolve());
        });
        store.close();
      })());

    return {
      config,
      store,
      audit,
      reports,
      tokens,
      accounts,
      devices,
      service,
      pool: workers,
      io,
      http,
      app,
      url,
      async link(page, grant, ttlSeconds) {
        const token = await tokens.sign(grant, ttlSeconds);
        return `${url}/${page}.html#token=${token}`;
      },
      close,
    };
  } catch (err) {
    jobs?.stop();
    await pool?.close();
    store.close();
    throw err;
  }
}
