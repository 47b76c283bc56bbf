import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteAudit } from '../../server/audit/auditQueries.js';
import { csvLines, parseCsv, toCsv } from '../../server/audit/csv.js';
import { parsePeriod, previousPeriod, shanghaiTime } from '../../server/audit/period.js';
import { loadConfig } from '../../server/config.js';
import { purgeQuestionTexts, purgeRecordings } from '../../server/jobs/purgeJob.js';
import { RecordingStore } from '../../server/store/recordingStore.js';
import { catchUpReports, runPeriodReport } from '../../server/jobs/reportJobs.js';
import { createLogger } from '../../server/logger.js';
import { startJobs } from '../../server/jobs/scheduler.js';
import { ReportService } from '../../server/reports/reportService.js';
import { SqliteStore } from '../../server/store/sqliteStore.js';
import { buildAuditFixture } from '../helpers/auditFixture.js';

describe('periods (Asia/Shanghai)', () => {
  it('names the period that just ended', () => {
    // 2025-04-01 01:00 in Shanghai is still March 31 in UTC.
    const now = shanghaiTime('2025-04-01', '01:00');
    expect(previousPeriod('monthly', now)).toMatchObject({ key: '2025-03', fromDay: '2025-03-01', toDay: '2025-03-31' });
    expect(previousPeriod('quarterly', now)).toMatchObject({ key: '2025-Q1', fromDay: '2025-01-01', toDay: '2025-03-31' });
    expect(previousPeriod('yearly', now)).toMatchObject({ key: '2024', fromDay: '2024-01-01', toDay: '2024-12-31' });
    expect(previousPeriod('monthly', shanghaiTime('2025-01-01', '02:10')).key).toBe('2024-12');
    expect(previousPeriod('quarterly', shanghaiTime('2025-01-01', '02:20')).key).toBe('2024-Q4');
    expect(parsePeriod('2024-02')).toMatchObject({ toDay: '2024-02-29', to: shanghaiTime('2024-03-01', '00:00') });
  });
});

describe('CSV', () => {
  it('quotes, neutralises formulas, keeps numbers, adds a BOM', () => {
    expect(csvLines(['a', 'b'], [['x,y', 'say "hi"'], ['=1+1', -3], ['@cmd', '+86'], ['-x', null]])).toEqual([
      'a,b',
      '"x,y","say ""hi"""',
      "'=1+1,-3",
      "'@cmd,'+86",
      "'-x,",
    ]);
    expect(toCsv(['列'], [['值']])).toBe('\uFEFF列\r\n值\r\n');
  });

  it('parses quoted fields with newlines and reports spreadsheet row numbers', () => {
    const rows = parseCsv('\uFEFFa,b\r\n"1\n2",x\r\n\r\n3,"4"""\n');
    expect(rows).toEqual([
      { row: 1, cells: ['a', 'b'] },
      { row: 2, cells: ['1\n2', 'x'] },
      { row: 5, cells: ['3', '4"'] },
    ]);
    expect(() => parseCsv('a,"b')).toThrow(/unterminated/);
    expect(() => parseCsv('a,b"c"')).toThrow(/quote/);
  });
});

describe('scheduled reports and the privacy purge', () => {
  let dir: string;
  let store: SqliteStore;
  let reports: ReportService;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tongke-reports-'));
    store = new SqliteStore(path.join(dir, 'tongke.sqlite'));
    buildAuditFixture(store);
    reports = new ReportService(new SqliteAudit(store), path.join(dir, 'reports'), () => Date.parse('2025-04-01T00:00:00Z'));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the monthly job writes CSV + JSON for the previous month; running it twice replaces', () => {
    const now = shanghaiTime('2025-04-01', '02:10');
    expect(runPeriodReport(reports, 'monthly', now).key).toBe('2025-03');
    const first = readFileSync(path.join(dir, 'reports', 'monthly-2025-03.json'), 'utf8');
    // A late correction, then the job runs again for the same period.
    store.appendEvent({ lessonId: 'l1', at: now, type: 'attendance_corrected', classroomId: 'C1b', data: { expected: 36, present: 36 } });
    runPeriodReport(reports, 'monthly', now + 60_000);
    expect(readdirSync(path.join(dir, 'reports')).sort()).toEqual(['monthly-2025-03.csv', 'monthly-2025-03.json']);
    const second = JSON.parse(readFileSync(path.join(dir, 'reports', 'monthly-2025-03.json'), 'utf8'));
    expect(JSON.parse(first).totals.pupilVisits).toBe(98);
    expect(second.totals).toMatchObject({ lessonsPlanned: 3, lessonsDelivered: 2, pupilVisits: 99, quizzesRun: 4 });
    expect(second.byCommunity.map((r: { key: string }) => r.key)).toEqual(['A', 'B']);
    expect(second.bundled[0].schools[0]).toMatchObject({ key: 'U1', role: 'core' });
    const csv = readFileSync(path.join(dir, 'reports', 'monthly-2025-03.csv'));
    expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(csv.toString('utf8')).toContain('捆绑评价 bundled evaluation');
  });

  it('quarterly and yearly jobs, and a catch-up that fills only what is missing', () => {
    const now = shanghaiTime('2026-01-01', '02:30');
    expect(runPeriodReport(reports, 'quarterly', now).key).toBe('2025-Q4');
    expect(runPeriodReport(reports, 'yearly', now).key).toBe('2025');
    const year = JSON.parse(readFileSync(path.join(dir, 'reports', 'yearly-2025.json'), 'utf8'));
    // The whole fixture: l1..l6 → planned 5, delivered 4 (l6 still live).
    expect(year.totals).toMatchObject({ lessonsPlanned: 5, lessonsDelivered: 4, pupilVisits: 169 });
    expect(year.byMonth).toHaveLength(12);
    expect(catchUpReports(reports, now).map((p) => p.key)).toEqual(['2025-12']);
    expect(catchUpReports(reports, now)).toEqual([]);
    expect(reports.list()).toHaveLength(6);
  });

  it('purges question texts older than the retention, keeping the log', () => {
    const day = 86_400_000;
    const now = Date.parse('2025-06-30T00:00:00Z');
    const insert = store.db.prepare('INSERT INTO question_texts (question_id, lesson_id, classroom_id, text, created_at) VALUES (?, ?, ?, ?, ?)');
    insert.run('q-old', 'l1', 'C1a', '老师，这道题怎么做？', now - 31 * day);
    insert.run('q-edge', 'l1', 'C1a', '刚好30天', now - 30 * day);
    insert.run('q-new', 'l1', 'C1b', '为什么？', now - 2 * day);
    store.appendEvent({ lessonId: 'l1', at: now - 31 * day, type: 'question_raised', classroomId: 'C1a', data: { questionId: 'q-old', hasText: true } });
    const events = store.listEvents('l1').length;
    expect(purgeQuestionTexts(store, 30, now)).toBe(1);
    expect(store.db.prepare('SELECT question_id FROM question_texts ORDER BY question_id').pluck().all()).toEqual(['q-edge', 'q-new']);
    expect(purgeQuestionTexts(store, 30, now)).toBe(0);
    expect(store.listEvents('l1')).toHaveLength(events);
  });

  it('deletes finished recordings past their retention, file and row; keeps the rest and the published ones, and all of them with 0', () => {
    const day = 86_400_000;
    const now = Date.parse('2025-06-30T00:00:00Z');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tongke-rec-'));
    try {
      const recordings = new RecordingStore(store.db);
      store.db.prepare(`INSERT INTO lessons (id, title, subject, teacher_name, lecture_classroom_id, status, created_at) SELECT 'l-rec', 't', 's', 'x', id, 'ended', 0 FROM classrooms LIMIT 1`).run();
      // `camera`: a screen's segment, with the teacher's camera in a second file.
      const add = (id: string, endedAt: number | null, camera = false) => {
        mkdirSync(path.join(dir, 'l-rec'), { recursive: true });
        writeFileSync(path.join(dir, 'l-rec', `${id}.webm`), 'webm');
        if (camera) writeFileSync(path.join(dir, 'l-rec', `${id}.camera.webm`), 'webm');
        const cameraFile = camera ? `l-rec/${id}.camera.webm` : null;
        recordings.add({ id, lessonId: 'l-rec', file: `l-rec/${id}.webm`, startedAt: (endedAt ?? now) - 60_000, cameraFile });
        if (endedAt !== null) recordings.finish(id, endedAt, 4, camera ? { bytes: 4 } : null);
      };
      add('rec-old', now - 91 * day, true);
      // Published to the library (精品课): kept whatever its age.
      add('rec-library', now - 400 * day);
      recordings.publish('rec-library', now - 300 * day);
      add('rec-edge', now - 90 * day);
      add('rec-new', now - day, true);
      add('rec-running', null);
      expect(purgeRecordings(recordings, dir, 0, now)).toBe(0);
      expect(purgeRecordings(recordings, dir, 90, now)).toBe(1);
      expect(recordings.list({ limit: 10 }).map((r) => r.id).sort()).toEqual(['rec-edge', 'rec-library', 'rec-new', 'rec-running']);
      expect(readdirSync(path.join(dir, 'l-rec')).sort()).toEqual(['rec-edge.webm', 'rec-library.webm', 'rec-new.camera.webm', 'rec-new.webm', 'rec-running.webm']);
      expect(purgeRecordings(recordings, dir, 90, now)).toBe(0);
      expect(loadConfig({ MEDIASOUP_WORKER_BIN: process.execPath }).recordings.retentionDays).toBe(0);
      expect(loadConfig({ MEDIASOUP_WORKER_BIN: process.execPath, TONGKE_RECORDING_RETENTION_DAYS: '90' }).recordings.retentionDays).toBe(90);
      expect(() => loadConfig({ MEDIASOUP_WORKER_BIN: process.execPath, TONGKE_RECORDING_RETENTION_DAYS: '-1' })).toThrow(/TONGKE_RECORDING_RETENTION_DAYS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the retention comes from TONGKE_QUESTION_RETENTION_DAYS (default 30)', () => {
    const base = { MEDIASOUP_WORKER_BIN: process.execPath };
    expect(loadConfig(base).privacy.questionRetentionDays).toBe(30);
    expect(loadConfig({ ...base, TONGKE_QUESTION_RETENTION_DAYS: '7' }).privacy.questionRetentionDays).toBe(7);
    expect(() => loadConfig({ ...base, TONGKE_QUESTION_RETENTION_DAYS: '0' })).toThrow(/TONGKE_QUESTION_RETENTION_DAYS/);
  });

  it('schedules the jobs in Asia/Shanghai and stops them', async () => {
    const { default: cron } = await import('node-cron');
    const jobs = startJobs({ reports, store, retentionDays: 30, log: createLogger('silent'), catchUpDelayMs: 60_000 });
    const tasks = [...cron.getTasks().values()].filter((t) => t.name?.endsWith('-report') || t.name === 'purge-question-texts');
    expect(tasks.map((t) => t.name).sort()).toEqual(['monthly-report', 'purge-question-texts', 'quarterly-report', 'yearly-report']);
    const monthly = tasks.find((t) => t.name === 'monthly-report')!;
    // Next run: the 1st of a month at 02:10 Shanghai = 18:10 UTC the day before.
    const next = monthly.getNextRun()!;
    expect(new Date(next.getTime() + 8 * 3600_000).toISOString()).toMatch(/^\d{4}-\d{2}-01T02:10:00/);
    jobs.stop();
    await new Promise((r) => setTimeout(r, 10));
    expect([...cron.getTasks().values()].filter((t) => t.name === 'monthly-report' && t.getStatus() !== 'destroyed')).toEqual([]);
  });
});
