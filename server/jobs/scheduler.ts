import cron, { type ScheduledTask } from 'node-cron';
import { SHANGHAI_TZ } from '../audit/period.js';
import type { Logger } from '../logger.js';
import type { ReportService } from '../reports/reportService.js';
import type { Store } from '../store/types.js';
import type { RecordingStore } from '../store/recordingStore.js';
import { makeLightCopies } from './lightCopyJob.js';
import { purgeQuestionTexts, purgeRecordings } from './purgeJob.js';
import { catchUpReports, runPeriodReport } from './reportJobs.js';

export interface Jobs {
  stop(): void;
}

/**
 * node-cron jobs in Asia/Shanghai time, early in the morning when no lesson runs:
 * 月报 on the 1st for the previous month, 季报 on the 1st of Jan/Apr/Jul/Oct, 年报 on Jan 1st,
 * the daily purge of question texts, and of recordings past their retention if one is set, and
 * the light copies of published recordings (流畅版). Reports the server missed while down are produced
 * shortly after start-up.
 */
export function startJobs(deps: {
  reports: ReportService;
  store: Store;
  retentionDays: number;
  /**
   * 录播: finished segments older than `retentionDays` (0: never) are deleted daily; published
   * ones get their light copy (流畅版) at night, made by `ffmpeg`.
   */
  recordings?: { store: RecordingStore; dir: string; retentionDays: number; ffmpeg: string };
  log: Logger;
  now?: () => number;
  catchUpDelayMs?: number;
}): Jobs {
  const { reports, store, retentionDays, log } = deps;
  const now = deps.now ?? Date.now;
  const guard = (name: string, fn: () => unknown) => () => {
    try {
      const result = fn();
      log.info({ job: name, result }, 'job done');
    } catch (err) {
      log.error({ err, job: name }, 'job failed');
    }
  };
  const opts = (name: string) => ({ timezone: SHANGHAI_TZ, name, noOverlap: true });
  const tasks: ScheduledTask[] = [
    cron.schedule('10 2 1 * *', guard('monthly-report', () => runPeriodReport(reports, 'monthly', now()).key), opts('monthly-report')),
    cron.schedule('20 2 1 1,4,7,10 *', guard('quarterly-report', () => runPeriodReport(reports, 'quarterly', now()).key), opts('quarterly-report')),
    cron.schedule('30 2 1 1 *', guard('yearly-report', () => runPeriodReport(reports, 'yearly', now()).key), opts('yearly-report')),
    cron.schedule('0 3 * * *', guard('purge-question-texts', () => purgeQuestionTexts(store, retentionDays, now())), opts('purge-question-texts')),
  ];
  const rec = deps.recordings;
  if (rec) {
    // From 01:40 until 05:30 at the latest, before the first lessons of the day.
    const lightCopies = async () => {
      const until = now() + (5 * 60 + 30 - (1 * 60 + 40)) * 60_000;
      try {
        log.info({ job: 'library-light-copies', result: await makeLightCopies({ recordings: rec.store, dir: rec.dir, ffmpeg: rec.ffmpeg, log, until, now }) }, 'job done');
      } catch (err) {
        log.error({ err, job: 'library-light-copies' }, 'job failed');
      }
    };
    tasks.push(cron.schedule('40 1 * * *', lightCopies, opts('library-light-copies')));
  }
  if (rec && rec.retentionDays > 0) {
    tasks.push(
      cron.schedule('15 3 * * *', guard('purge-recordings', () => purgeRecordings(rec.store, rec.dir, rec.retentionDays, now())), opts('purge-recordings')),
    );
  }
  const catchUp = setTimeout(
    guard('catch-up-reports', () => catchUpReports(reports, now()).map((p) => p.key)),
    deps.catchUpDelayMs ?? 30_000,
  );
  catchUp.unref();
  return {
    stop() {
      clearTimeout(catchUp);
      for (const t of tasks) void t.destroy();
    },
  };
}
