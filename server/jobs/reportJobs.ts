import { previousPeriod, type Period, type PeriodKind } from '../audit/period.js';
import type { ReportService } from '../reports/reportService.js';

/**
 * The scheduled report job body: the period that ended just before `now` (Asia/Shanghai).
 * Idempotent: running it twice for the same period replaces the same two files.
 */
export function runPeriodReport(reports: ReportService, kind: PeriodKind, now: number): Period {
  const period = previousPeriod(kind, now);
  reports.generate(period);
  return period;
}

/** Reports a stopped server missed (it was down on the 1st): generated once it is back. */
export function catchUpReports(reports: ReportService, now: number): Period[] {
  const done: Period[] = [];
  for (const kind of ['monthly', 'quarterly', 'yearly'] as const) {
    const period = previousPeriod(kind, now);
    if (!reports.exists(period)) {
      reports.generate(period);
      done.push(period);
    }
  }
  return done;
}
