import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteAudit, type Figures } from '../../server/audit/auditQueries.js';
import { summariseLesson } from '../../server/audit/lessonSummary.js';
import { dayRange, shanghaiTime } from '../../server/audit/period.js';
import { SqliteStore } from '../../server/store/sqliteStore.js';
import { addMediaBlockedLesson, buildAuditFixture } from '../helpers/auditFixture.js';

/** Every figure below is computed by hand from the fixture described in auditFixture.ts. */
const F = (
  lessonsPlanned: number,
  lessonsDelivered: number,
  plannedDelivered: number,
  deliveryRate: number | null,
  minutesDelivered: number,
  classroomsReached: number,
  ruralSchoolsReached: number,
  pupilVisits: number,
  quizzesRun: number,
  avgCorrectRate: number | null,
): Figures => ({
  lessonsPlanned,
  lessonsDelivered,
  plannedDelivered,
  deliveryRate,
  minutesDelivered,
  classroomsReached,
  ruralSchoolsReached,
  pupilVisits,
  // The fixture's lessons were logged before media_received existed: reach is presence alone.
  blockedClassroomLessons: 0,
  blockedPupilVisits: 0,
  quizzesRun,
  avgCorrectRate,
});
// q1: 20/35 = 0.571428…; q4: 5/20 = 0.25; mean = 0.410714…
const Q1 = 0.5714;
const Q14 = 0.4107;

describe('audit figures on a hand-computed fixture', () => {
  let dir: string;
  let store: SqliteStore;
  let audit: SqliteAudit;
  const marApr = dayRange('2025-03-01', '2025-04-30');
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tongke-audit-'));
    store = new SqliteStore(path.join(dir, 'db.sqlite'));
    buildAuditFixture(store);
    audit = new SqliteAudit(store);
  });
  afterAll(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('totals: planned 4, delivered 3 (one ad hoc), 开课率 2/4, 115 min, 128 人次', () => {
    expect(audit.totals(marApr)).toEqual(F(4, 3, 2, 0.5, 115, 3, 2, 128, 4, Q14));
  });

  it('by community (a lesson belongs to its lecture school’s community)', () => {
    const rows = audit.table(marApr, 'community');
    expect(rows.map((r) => [r.key, r.label])).toEqual([
      ['A', '甲共同体'],
      ['B', '乙联盟'],
    ]);
    expect(rows[0]).toMatchObject(F(2, 2, 1, 0.5, 85, 2, 1, 103, 3, Q1));
    expect(rows[1]).toMatchObject(F(2, 1, 1, 0.5, 30, 1, 1, 25, 1, 0.25));
  });

  it('by month (Asia/Shanghai), every month of the range listed', () => {
    const rows = audit.table(marApr, 'month');
    expect(rows.map((r) => r.key)).toEqual(['2025-03', '2025-04']);
    expect(rows[0]).toMatchObject(F(3, 2, 2, 0.6667, 70, 3, 2, 98, 4, Q14));
    expect(rows[1]).toMatchObject(F(1, 1, 0, 0, 45, 1, 1, 30, 0, null));
  });

  it('by subject', () => {
    const rows = Object.fromEntries(audit.table(marApr, 'subject').map((r) => [r.key, r]));
    expect(rows['数学']).toMatchObject(F(2, 1, 1, 0.5, 40, 2, 1, 73, 3, Q1));
    expect(rows['英语']).toMatchObject(F(2, 1, 1, 0.5, 30, 1, 1, 25, 1, 0.25));
    expect(rows['语文']).toMatchObject(F(0, 1, 0, null, 45, 1, 1, 30, 0, null));
  });

  it('by school: lessons a school took part in; reach counted at the receiving school only', () => {
    const rows = Object.fromEntries(audit.table(marApr, 'school').map((r) => [r.key, r]));
    expect(rows.U1).toMatchObject(F(2, 2, 1, 0.5, 85, 0, 0, 0, 3, Q1));
    expect(rows.R1).toMatchObject(F(1, 2, 1, 1, 85, 2, 1, 103, 3, Q1));
    expect(rows.R2).toMatchObject(F(2, 1, 1, 0.5, 40, 0, 0, 0, 3, Q1));
    expect(rows.U2).toMatchObject(F(2, 1, 1, 0.5, 30, 0, 0, 0, 1, 0.25));
    expect(rows.R3).toMatchObject(F(2, 1, 1, 0.5, 30, 1, 1, 25, 1, 0.25));
  });

  it('bundled evaluation: core school first, members side by side, community total', () => {
    const [a, b] = audit.bundled(marApr);
    expect(a?.community.id).toBe('A');
    expect(a?.schools.map((s) => [s.key, s.role])).toEqual([
      ['U1', 'core'],
      ['R1', 'member'],
      ['R2', 'member'],
    ]);
    expect(a?.total).toEqual(F(2, 2, 1, 0.5, 85, 2, 1, 103, 3, Q1));
    expect(b?.schools.map((s) => s.key)).toEqual(['U2', 'R3']);
  });

  it('a range boundary is a Shanghai day: May 5 08:00 (00:00 UTC) is outside March–April', () => {
    expect(audit.totals(dayRange('2025-05-05', '2025-05-05'))).toEqual(F(1, 1, 1, 1, 45, 1, 1, 41, 0, null));
    expect(audit.totals(dayRange('2025-05-04', '2025-05-04'))).toEqual(F(0, 0, 0, null, 0, 0, 0, 0, 0, null));
  });

  it('per-school report: totals, months, the lessons it took part in', () => {
    const r = audit.schoolReport(marApr, 'R1');
    expect(r.role).toBe('member');
    expect(r.community?.id).toBe('A');
    expect(r.totals).toEqual(F(1, 2, 1, 1, 85, 2, 1, 103, 3, Q1));
    expect(r.byMonth.map((m) => [m.key, m.pupilVisits])).toEqual([
      ['2025-03', 73],
      ['2025-04', 30],
    ]);
    expect(r.lessons.map((l) => [l.id, l.classroomsReached, l.pupilVisits])).toEqual([
      ['l1', 2, 73],
      ['l4', 1, 30],
    ]);
    expect(() => audit.schoolReport(marApr, 'nope')).toThrow(/unknown school/);
  });

  it('lesson drill-down down to the log', () => {
    const d = audit.lesson('l1');
    expect(d.summary).toEqual(F(1, 1, 1, 1, 40, 2, 1, 73, 3, Q1));
    expect(d.classrooms.map((c) => [c.id, c.reached, c.present])).toEqual([
      ['C1a', true, 38],
      ['C1b', true, 35],
      ['C2', false, null],
    ]);
    expect(d.events[0]).toMatchObject({ type: 'classroom_joined', classroomId: 'C2' });
    expect(d.events.at(-1)?.type).toBe('lesson_ended');
    // A restart drops connections: C3 rejoined, still one classroom reached.
    expect(audit.lesson('l3').summary.classroomsReached).toBe(1);
  });

  it('summaries can be rebuilt from the log alone', () => {
    const before = audit.totals(marApr);
    store.db.exec('DELETE FROM lesson_classroom_summaries; DELETE FROM lesson_summaries;');
    expect(audit.totals(marApr).pupilVisits).toBe(0);
    expect(store.rebuildSummaries()).toBe(4);
    expect(audit.totals(marApr)).toEqual(before);
  });

  it('a late attendance correction on an ended lesson updates its figures', () => {
    store.appendEvent({ lessonId: 'l4', at: Date.now(), type: 'attendance_corrected', classroomId: 'C1a', data: { expected: 42, present: 31 } });
    expect(audit.totals(marApr).pupilVisits).toBe(129);
  });
});

/** Lesson l7 of auditFixture.ts, logged under the media rule. */
describe('audit figures where the lesson media never reached a classroom', () => {
  let dir: string;
  let store: SqliteStore;
  let audit: SqliteAudit;
  const june = dayRange('2025-06-01', '2025-06-30');

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tongke-audit-media-'));
    store = new SqliteStore(path.join(dir, 'db.sqlite'));
    buildAuditFixture(store);
    addMediaBlockedLesson(store);
    audit = new SqliteAudit(store);
  });
  afterAll(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const expected = { classroomsReached: 2, ruralSchoolsReached: 2, pupilVisits: 30, blockedClassroomLessons: 1, blockedPupilVisits: 20 };

  it('totals count the blocked classroom apart: not reached, its pupils not in 人次', () => {
    expect(audit.totals(june)).toMatchObject({ lessonsDelivered: 1, ...expected });
  });

  it('by school and in the school report, at the blocked classroom’s own school', () => {
    const r1 = audit.table(june, 'school').find((r) => r.key === 'R1')!;
    expect(r1).toMatchObject({ classroomsReached: 1, pupilVisits: 30, blockedClassroomLessons: 1, blockedPupilVisits: 20 });
    const report = audit.schoolReport(june, 'R1');
    expect(report.lessons.map((l) => [l.id, l.classroomsReached, l.pupilVisits])).toEqual([['l7', 1, 30]]);
    expect(audit.table(june, 'community').find((r) => r.key === 'A')).toMatchObject(expected);
  });

  it('the drill-down shows which classroom was online without media', () => {
    const d = audit.lesson('l7');
    expect(d.summary).toMatchObject(expected);
    expect(d.classrooms.map((c) => [c.id, c.online, c.reached, c.mediaBlocked, c.present])).toEqual([
      ['C1a', true, true, false, 30],
      ['C1b', true, false, true, 20],
      ['C3', false, false, false, null],
      ['C2', true, true, false, null],
    ]);
  });

  it('a late correction keeps the rule, and a rebuild from the log gives the same figures', () => {
    store.appendEvent({ lessonId: 'l7', at: shanghaiTime('2025-06-02', '09:00'), type: 'attendance_corrected', classroomId: 'C1b', data: { expected: 22, present: 21 } });
    expect(audit.totals(june)).toMatchObject({ ...expected, blockedPupilVisits: 21 });
    const before = audit.totals(june);
    store.db.exec('DELETE FROM lesson_classroom_summaries; DELETE FROM lesson_summaries;');
    store.rebuildSummaries();
    expect(audit.totals(june)).toEqual(before);
  });

  it('the same events under no rule (a log from before media_received) count presence alone', () => {
    const lesson = store.getLesson('l7')!;
    const events = store.listEvents('l7').map((e) => (e.type === 'lesson_started' ? { ...e, data: {} } : e));
    const s = summariseLesson(lesson, events);
    expect(s.reachRule).toBe('presence');
    expect(s.classrooms.filter((c) => c.reached).map((c) => c.classroomId)).toEqual(['C1a', 'C1b', 'C2']);
    expect(s.classrooms.some((c) => c.mediaBlocked)).toBe(false);
  });
});
