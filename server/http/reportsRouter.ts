import { Router } from 'express';
import { z } from 'zod';
import { parsePeriod, periodKeySchema } from '../audit/period.js';
import type { ReportService } from '../reports/reportService.js';
import { requireAction } from './adminAuth.js';
import { parse } from './validate.js';

const generateBody = z.object({ period: periodKeySchema }).strict();
const reportName = z.string().max(64).regex(/^[A-Za-z0-9.-]+$/, 'not a report name');

/** Scheduled and on-demand reports: list, generate any period, download. */
export function reportsRouter(deps: { reports: ReportService }): Router {
  const { reports } = deps;
  const r = Router();
  r.get('/', (req, res) => {
    parse(z.object({}).strict(), req.query);
    res.json({ reports: reports.list() });
  });
  r.post('/', requireAction('admin:write'), (req, res) => {
    const { period } = parse(generateBody, req.body);
    res.status(201).json({ reports: reports.generate(parsePeriod(period)) });
  });
  r.get('/:name', (req, res, next) => {
    const file = reports.file(parse(reportName, req.params.name));
    res.setHeader('Content-Type', file.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${req.params.name}"`);
    res.sendFile(file.path, (err) => {
      if (err) next(err);
    });
  });
  return r;
}
