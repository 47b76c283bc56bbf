/**
 * Times every dashboard query and the yearly report on a seeded county (scripts/seed-county.ts)
 * and writes bench/results/audit.json. Each query runs `--runs` times; the worst run counts.
 *
 *   node --import tsx scripts/bench-audit.ts [--db bench/tmp/county.sqlite] [--year 2025] [--runs 5]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteAudit } from '../server/audit/auditQueries.js';
import { dayRange, yearPeriod } from '../server/audit/period.js';
import { ReportService } from '../server/reports/reportService.js';
import { SqliteStore } from '../server/store/sqliteStore.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'bench/tmp/county.sqlite' },
    year: { type: 'string', default: '2025' },
    runs: { type: 'string', default: '5' },
    out: { type: 'string', default: 'bench/results/audit.json' },
  },
});
const year = Number(values.year);
const runs = Number(values.runs);
const store = new SqliteStore(path.resolve(values.db!));
const audit = new SqliteAudit(store);

const dataset = store.db
  .prepare(
    `SELECT (SELECT count(*) FROM communities) communities, (SELECT count(*) FROM schools) schools,
       (SELECT count(*) FROM classrooms) classrooms, (SELECT count(*) FROM lessons) lessons,
       (SELECT count(*) FROM lesson_events) events`,
  )
  .get() as Record<string, number>;
const ruralSchool = store.db.prepare("SELECT id FROM schools WHERE area = 'rural' ORDER BY id LIMIT 1").pluck().get() as string;
const coreSchool = store.db.prepare('SELECT core_school_id FROM communities ORDER BY id LIMIT 1').pluck().get() as string;
const busyLesson = store.db
  .prepare("SELECT lesson_id FROM lesson_events GROUP BY lesson_id ORDER BY count(*) DESC LIMIT 1")
  .pluck()
  .get() as string;

const yearRange = dayRange(`${year}-01-01`, `${year}-12-31`);
const month = dayRange(`${year}-03-01`, `${year}-03-31`);
const week = dayRange(`${year}-03-03`, `${year}-03-09`);

const queries: Record<string, () => unknown> = {
  'totals (year)': () => audit.totals(yearRange),
  'table by community (year)': () => audit.table(yearRange, 'community'),
  'table by school (year)': () => audit.table(yearRange, 'school'),
  'table by month (year)': () => audit.table(yearRange, 'month'),
  'table by subject (year)': () => audit.table(yearRange, 'subject'),
  'bundled evaluation (year)': () => audit.bundled(yearRange),
  'school report, rural member (year)': () => audit.schoolReport(yearRange, ruralSchool),
  'school report, core school (year)': () => audit.schoolReport(yearRange, coreSchool),
  'totals (month)': () => audit.totals(month),
  'table by school (month)': () => audit.table(month, 'school'),
  'lesson drill-down (busiest lesson)': () => audit.lesson(busyLesson),
  'timetable (week)': () => store.listTimetable(week),
  'lesson list (newest 100)': () => store.listLessons({ limit: 100 }),
};

const time = (fn: () => unknown) => {
  const t = performance.now();
  fn();
  return performance.now() - t;
};
const r1 = (x: number) => Math.round(x * 10) / 10;
const results: Record<string, { firstMs: number; medianMs: number; maxMs: number }> = {};
for (const [name, fn] of Object.entries(queries)) {
  const times = Array.from({ length: runs }, () => time(fn));
  const sorted = [...times].sort((a, b) => a - b);
  results[name] = { firstMs: r1(times[0]!), medianMs: r1(sorted[Math.floor(runs / 2)]!), maxMs: r1(sorted.at(-1)!) };
  console.log(`${name.padEnd(40)} max ${results[name].maxMs} ms, median ${results[name].medianMs} ms`);
}

const reportDir = mkdtempSync(path.join(os.tmpdir(), 'tongke-bench-reports-'));
const reports = new ReportService(audit, reportDir);
const yearlyRuns = Array.from({ length: Math.min(runs, 3) }, () => time(() => reports.generate(yearPeriod(year))));
rmSync(reportDir, { recursive: true, force: true });
const yearlyReportMs = r1(Math.max(...yearlyRuns));
console.log(`${'yearly report (JSON + CSV)'.padEnd(40)} max ${yearlyReportMs} ms`);
store.close();

const maxDashboardQueryMs = Math.max(...Object.values(results).map((r) => r.maxMs));
const cpus = os.cpus();
const result = {
  maxDashboardQueryMs,
  yearlyReportMs,
  targets: { dashboardQueryMs: 300, yearlyReportMs: 5000 },
  met: maxDashboardQueryMs < 300 && yearlyReportMs < 5000,
  queries: results,
  yearlyReportRunsMs: yearlyRuns.map(r1),
  runsPerQuery: runs,
  dataset: { ...dataset, year },
  machine: {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    memoryGb: r1(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
  },
  date: new Date().toISOString(),
};
mkdirSync(path.dirname(path.resolve(values.out!)), { recursive: true });
writeFileSync(path.resolve(values.out!), JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify({ maxDashboardQueryMs, yearlyReportMs, met: result.met }));
