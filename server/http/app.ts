import path from 'node:path';
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
  app.use('/api/admin', adminRouter(deps));
  app.use(express.static(path.resolve(deps.clientDir), { index: 'index.html', maxAge: '1h' }));
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
