import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import type { SqliteAudit } from '../audit/auditQueries.js';
import type { TokenService } from '../auth/tokens.js';
import type { ModelService } from '../model/modelService.js';
import type { ReportService } from '../reports/reportService.js';
import type { LessonService } from '../lessons/lessonService.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/types.js';
import { adminRouter } from './adminRouter.js';
import { errorHandler, notFound } from './errorMiddleware.js';
import { securityHeaders } from './securityHeaders.js';

/** The API description, read once: a missing or broken file fails at start-up, not per request. */
const OPENAPI_PATH = fileURLToPath(new URL('./openapi.json', import.meta.url));
const OPENAPI_JSON = JSON.stringify(JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')));

export interface HttpDeps {
  tokens: TokenService;
  store: Store;
  service: LessonService;
  model: ModelService;
  audit: SqliteAudit;
  reports: ReportService;
  log: Logger;
  clientDir: string;
  health: () => Promise<Record<string, unknown>>;
}

export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(securityHeaders);
  app.use(express.json({ limit: '32kb' }));

  app.get('/healthz', async (_req, res) => {
    res.json({ ok: true, ...(await deps.health()) });
  });
  // Public: the description of the API holds no data.
  app.get('/api/openapi.json', (_req, res) => {
    res.type('application/json').send(OPENAPI_JSON);
  });
  app.use('/api/admin', adminRouter(deps));
  app.use(express.static(path.resolve(deps.clientDir), { index: 'index.html', maxAge: '1h' }));
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
