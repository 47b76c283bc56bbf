import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import type { SqliteAudit } from '../audit/auditQueries.js';
import type { AccountService } from '../auth/accountService.js';
import type { DeviceService } from '../auth/deviceService.js';
import type { SocketTokenIssuer } from '../auth/socketTokens.js';
import type { TokenService } from '../auth/tokens.js';
import type { AccessWithdrawals } from '../auth/withdrawals.js';
import type { RecordingStore } from '../store/recordingStore.js';
import type { Config } from '../config.js';
import type { ModelService } from '../model/modelService.js';
import type { ReportService } from '../reports/reportService.js';
import type { LessonService } from '../lessons/lessonService.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/types.js';
import { authenticate } from './adminAuth.js';
import type { TrustFn } from './clientAddress.js';
import { adminRouter } from './adminRouter.js';
import type { MediaLoad } from '../../shared/mediaLoad.js';
import { authRouter } from './authRouter.js';
import { sessionCookie } from './sessionCookie.js';
import { originCheck } from './csrf.js';
import { deviceRouter } from './deviceRouter.js';
import { libraryRouter } from './libraryRouter.js';
import { IpBuckets, rateLimitByIp } from './ipRateLimit.js';
import { errorHandler, notFound } from './errorMiddleware.js';
import { securityHeaders } from './securityHeaders.js';
import { precompressed } from './precompressed.js';
import type { DiskRoom } from '../store/diskRoom.js';

/** The API description, read once: a missing or broken file fails at start-up, not per request. */
const OPENAPI_PATH = fileURLToPath(new URL('./openapi.json', import.meta.url));
const OPENAPI_JSON = JSON.stringify(JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')));

export interface HttpDeps {
  config: Pick<Config, 'env' | 'http' | 'rateLimits'>;
  /** Which proxies may report the client's address (req.ip, read by the per-IP limits). */
  trustProxy: TrustFn;
  tokens: TokenService;
  withdrawals: AccessWithdrawals;
  accounts: AccountService;
  devices: DeviceService;
  issuer: SocketTokenIssuer;
  store: Store;
  service: LessonService;
  model: ModelService;
  audit: SqliteAudit;
  reports: ReportService;
  recordings: RecordingStore;
  recordingsDir: string;
  recordingRoom: DiskRoom;
  log: Logger;
  clientDir: string;
  health: () => Promise<Record<string, unknown>>;
  /** The media workers' load, for the admin page's lesson list. */
  mediaLoad: () => MediaLoad;
}

export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.set('trust proxy', deps.trustProxy);
  app.disable('x-powered-by');
  app.set('etag', false);
  const production = deps.config.env === 'production';
  const limits = deps.config.rateLimits;
  const cookie = sessionCookie(production);
  const loginLimit = new IpBuckets(limits.login.perSecond, limits.login.burst);
  app.use(securityHeaders({ hsts: production }));
  app.use('/api', rateLimitByIp(new IpBuckets(limits.http.perSecond, limits.http.burst), 'API'));
  app.use(express.json({ limit: '32kb' }));

  app.get('/healthz', async (_req, res) => {
    res.json({ ok: true, ...(await deps.health()) });
  });
  // Public: the description of the API holds no data.
  app.get('/api/openapi.json', (_req, res) => {
    res.type('application/json').send(OPENAPI_JSON);
  });
  // Who is calling (bearer token or session cookie), then CSRF, before any /api route.
  app.use('/api', authenticate({ tokens: deps.tokens, withdrawals: deps.withdrawals, accounts: deps.accounts, cookie }));
  app.use('/api', originCheck(deps.config.http.publicUrl));
  app.use('/api/auth', authRouter({ accounts: deps.accounts, issuer: deps.issuer, cookie, loginLimit }));
  app.use('/api/devices', deviceRouter({ devices: deps.devices, issuer: deps.issuer, loginLimit }));
  app.use('/api/admin', adminRouter(deps));
  app.use('/api/library', libraryRouter({ recordings: deps.recordings, recordingsDir: deps.recordingsDir }));
  app.use(precompressed(deps.clientDir, { index: 'index.html', maxAgeMs: 3_600_000 }));
  app.use(express.static(path.resolve(deps.clientDir), { index: 'index.html', maxAge: '1h' }));
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
