import { Router } from 'express';
import { z } from 'zod';
import { idSchema } from '../../shared/ids.js';
import { bundledLines, lessonLines, schoolReportLines, tableLines } from '../audit/auditCsv.js';
import { GROUP_BYS, type SqliteAudit } from '../audit/auditQueries.js';
import { dayRange, isoDaySchema } from '../audit/period.js';
import { rangeQuerySchema } from '../audit/period.js';
import { parse, sendCsv } from './validate.js';

const format = z.enum(['json', 'csv']).default('json');
const rangeWith = <T extends z.ZodRawShape>(extra: T) =>
  z
    .object({ from: isoDaySchema, to: isoDaySchema, format, ...extra })
    .strict()
    .superRefine((q, ctx) => {
      const r = rangeQuerySchema.safeParse({ from: q.from, to: q.to });
      if (!r.success) for (const i of r.error.issues) ctx.addIssue(i);
    });

/** GET /api/admin/audit/...: every table as JSON, or as CSV with ?format=csv. */
export function auditRouter(audit: SqliteAudit): Router {
  const r = Router();

  r.get('/totals', (req, res) => {
    const q = parse(rangeWith({}), req.query);
    const range = dayRange(q.from, q.to);
    const totals = audit.totals(range);
    if (q.format === 'csv') {
      sendCsv(res, `totals-${q.from}-${q.to}.csv`, tableLines([{ key: '', label: `${q.from}…${q.to}`, ...totals }], 'month'));
      return;
    }
    res.json({ from: q.from, to: q.to, totals });
  });

  r.get('/table', (req, res) => {
    const q = parse(rangeWith({ groupBy: z.enum(GROUP_BYS) }), req.query);
    const range = dayRange(q.from, q.to);
    const rows = audit.table(range, q.groupBy);
    if (q.format === 'csv') {
      sendCsv(res, `audit-${q.groupBy}-${q.from}-${q.to}.csv`, tableLines(rows, q.groupBy, audit.totals(range)));
      return;
    }
    res.json({ from: q.from, to: q.to, groupBy: q.groupBy, rows });
  });

  r.get('/bundled', (req, res) => {
    const q = parse(rangeWith({}), req.query);
    const communities = audit.bundled(dayRange(q.from, q.to));
    if (q.format === 'csv') {
      sendCsv(res, `bundled-${q.from}-${q.to}.csv`, bundledLines(communities));
      return;
    }
    res.json({ from: q.from, to: q.to, communities });
  });

  r.get('/schools/:schoolId', (req, res) => {
    const schoolId = parse(idSchema, req.params.schoolId);
    const q = parse(rangeWith({}), req.query);
    const report = audit.schoolReport(dayRange(q.from, q.to), schoolId);
    if (q.format === 'csv') {
      sendCsv(res, `school-${schoolId}-${q.from}-${q.to}.csv`, schoolReportLines(report));
      return;
    }
    res.json({ from: q.from, to: q.to, ...report });
  });

  r.get('/lessons/:lessonId', (req, res) => {
    const lessonId = parse(idSchema, req.params.lessonId);
    const q = parse(z.object({ format }).strict(), req.query);
    const d = audit.lesson(lessonId);
    if (q.format === 'csv') {
      sendCsv(res, `lesson-${lessonId}.csv`, lessonLines(d));
      return;
    }
    res.json(d);
  });
  return r;
}
