/**
 * Generates a realistic county year for the audit benchmark: communities (1 urban core +
 * members, mostly rural), schools, lecture and receiving classrooms, a school-day timetable,
 * and the lesson log each delivered lesson would have written (joins, attendance, questions,
 * on-stage, quizzes, media incidents). Deterministic (seeded PRNG).
 *
 *   node --import tsx scripts/seed-county.ts [--out bench/tmp/county.sqlite] [--lessons 50000]
 *        [--communities 17] [--schools 150] [--year 2025] [--seed 42]
 *
 * Bulk-loads with prepared statements in large transactions (synchronous=OFF while loading:
 * this file is a benchmark fixture), then rebuilds the derived summaries from the log with
 * the server's own code.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { shanghaiTime } from '../server/audit/period.js';
import { openDb } from '../server/store/db.js';
import { SqliteStore } from '../server/store/sqliteStore.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'bench/tmp/county.sqlite' },
    lessons: { type: 'string', default: '50000' },
    communities: { type: 'string', default: '17' },
    schools: { type: 'string', default: '150' },
    year: { type: 'string', default: '2025' },
    seed: { type: 'string', default: '42' },
  },
});
const N_LESSONS = Number(values.lessons);
const N_COMMUNITIES = Number(values.communities);
const N_SCHOOLS = Number(values.schools);
const YEAR = Number(values.year);
if (![N_LESSONS, N_COMMUNITIES, N_SCHOOLS, YEAR].every((n) => Number.isInteger(n) && n > 0) || N_SCHOOLS < N_COMMUNITIES * 2) {
  throw new Error('bad sizes: need positive integers and at least two schools per community');
}

// mulberry32: small, fast, reproducible.
let state = Number(values.seed) >>> 0;
function rand(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const out = path.resolve(values.out!);
for (const suffix of ['', '-wal', '-shm']) rmSync(out + suffix, { force: true });
const t0 = performance.now();
const db = openDb(out);
db.pragma('synchronous = OFF');

const SUBJECTS = ['语文', '数学', '英语', '音乐', '美术', '科学', '体育', '道德与法治', '信息科技'];
const GRADES = ['一年级', '二年级', '三年级', '四年级', '五年级', '六年级', '七年级', '八年级'];
const TYPES = ['assistance', 'alliance', 'group'] as const;
const DISTRICTS = ['青州市', '临朐县', '昌乐县', '寿光市', '高密市'];
const PERIODS = ['08:00', '08:55', '09:50', '10:45', '14:00', '14:55', '15:50'];

interface Room {
  id: string;
  schoolId: string;
}
const communities: { id: string; lecture: Room[]; receiving: Room[] }[] = [];

// ---- the community model ------------------------------------------------------------------
db.transaction(() => {
  const cm = db.prepare('INSERT INTO communities (id, name, type, core_school_id) VALUES (?, ?, ?, ?)');
  const sc = db.prepare('INSERT INTO schools (id, community_id, name, district, area) VALUES (?, ?, ?, ?, ?)');
  const cr = db.prepare('INSERT INTO classrooms (id, school_id, name, kind) VALUES (?, ?, ?, ?)');
  let schoolNo = 0;
  for (let c = 0; c < N_COMMUNITIES; c++) {
    const id = `cm${c + 1}`;
    const size = Math.floor(N_SCHOOLS / N_COMMUNITIES) + (c < N_SCHOOLS % N_COMMUNITIES ? 1 : 0);
    const district = DISTRICTS[c % DISTRICTS.length]!;
    const core = `sc${schoolNo + 1}`;
    cm.run(id, `${district}第${c + 1}教育共同体`, TYPES[c % 3], core);
    const entry = { id, lecture: [] as Room[], receiving: [] as Room[] };
    for (let i = 0; i < size; i++) {
      schoolNo++;
      const sid = `sc${schoolNo}`;
      const urban = i === 0 || (i === 1 && size > 6) || (i === 2 && c % 2 === 0);
      sc.run(sid, id, urban ? `${district}实验小学${schoolNo}` : `${district}乡村小学${schoolNo}`, district, urban ? 'urban' : 'rural');
      if (urban) {
        for (let r = 0; r < (i === 0 ? 2 : 1); r++) {
          const rid = `${sid}-l${r + 1}`;
          cr.run(rid, sid, `录播教室${r + 1}`, 'lecture');
          entry.lecture.push({ id: rid, schoolId: sid });
        }
      } else {
        for (let r = 0; r < int(2, 4); r++) {
          const rid = `${sid}-r${r + 1}`;
          cr.run(rid, sid, GRADES[r % GRADES.length] + '一班', 'receiving');
          entry.receiving.push({ id: rid, schoolId: sid });
        }
      }
    }
    communities.push(entry);
  }
})();

// ---- school days: Mon–Fri outside winter and summer holidays ------------------------------
const days: string[] = [];
for (let d = Date.UTC(YEAR, 0, 1); d < Date.UTC(YEAR + 1, 0, 1); d += 86_400_000) {
  const date = new Date(d);
  const dow = date.getUTCDay();
  const md = date.toISOString().slice(5, 10);
  if (dow === 0 || dow === 6) continue;
  if ((md >= '01-20' && md <= '02-16') || (md >= '07-10' && md <= '08-31') || (md >= '10-01' && md <= '10-07')) continue;
  days.push(date.toISOString().slice(0, 10));
}

// ---- lessons and their logs ---------------------------------------------------------------
const insLesson = db.prepare(
  `INSERT INTO lessons (id, title, subject, grade, teacher_name, lecture_classroom_id, planned_start, planned_end,
     status, started_at, ended_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
);
const insLink = db.prepare('INSERT INTO lesson_classrooms (lesson_id, classroom_id) VALUES (?, ?)');
const insEvent = db.prepare('INSERT INTO lesson_events (lesson_id, at, type, classroom_id, data) VALUES (?, ?, ?, ?, ?)');
const booked = new Set<string>();
let events = 0;
const MIN = 60_000;

function writeLog(id: string, rooms: Room[], start: number, end: number): void {
  const ev = (at: number, type: string, classroomId: string | null, data: object = {}) => {
    insEvent.run(id, Math.round(at), type, classroomId, JSON.stringify(data));
    events++;
  };
  ev(start - 5 * MIN, 'teacher_joined', null);
  const present = new Map<string, number>();
  for (const r of rooms) {
    if (rand() < 0.03) continue; // a classroom that never connected (network, timetable clash)
    ev(start - int(1, 8) * MIN, 'classroom_joined', r.id);
    present.set(r.id, int(18, 45));
  }
  ev(start, 'lesson_started', null, { reachRule: 'media' });
  for (const rid of present.keys()) {
    // A school network that blocks the media ports: online, but the lesson never gets through.
    if (rand() < 0.02) ev(start + 12_000, 'media_quality_incident', rid, { kind: 'media_unreachable' });
    else ev(start + int(1, 5) * 1000, 'media_received', rid);
  }
  for (const [rid, n] of present) {
    const expected = n + int(0, 4);
    ev(start + int(1, 3) * MIN, 'attendance_reported', rid, { expected, present: n });
    if (rand() < 0.15) ev(start + int(4, 9) * MIN, 'attendance_corrected', rid, { expected, present: Math.max(0, n - int(1, 3)) });
  }
  const span = end - start;
  const joined = [...present.keys()];
  for (let q = 0; q < int(5, 12) && joined.length; q++) {
    const at = start + rand() * span * 0.8;
    const qid = `${id}-q${q}`;
    const rid = pick(joined);
    ev(at, 'question_raised', rid, { questionId: qid, hasText: rand() < 0.5 });
    ev(at + int(1, 4) * MIN, pick(['question_answered', 'question_answered', 'question_deferred', 'question_dismissed']), rid, { questionId: qid });
  }
  for (let s = 0; s < int(1, 4) && joined.length; s++) {
    const at = start + rand() * span * 0.8;
    const rid = pick(joined);
    ev(at, 'stage_on', rid);
    ev(at + int(1, 3) * MIN, 'stage_off', rid);
  }
  for (let z = 0; z < int(1, 3); z++) {
    const at = start + (0.3 + 0.2 * z) * span;
    const quizId = `${id}-z${z}`;
    const options = int(2, 4);
    const correctOption = rand() < 0.9 ? int(0, options - 1) : null;
    ev(at, 'quiz_opened', null, { quizId, options, correctOption });
    const totals = new Array<number>(options).fill(0);
    for (const [rid, n] of present) {
      const counts = new Array<number>(options).fill(0);
      for (let p = 0; p < n; p++) counts[correctOption !== null && rand() < 0.7 ? correctOption : int(0, options - 1)]!++;
      counts.forEach((c, i) => (totals[i]! += c));
      ev(at + 2 * MIN, 'quiz_answered', rid, { quizId, counts });
    }
    ev(at + 3 * MIN, 'quiz_closed', null, { quizId, counts: totals, correctOption });
  }
  if (rand() < 0.1 && joined.length) ev(start + rand() * span, 'media_quality_incident', pick(joined), { kind: 'packet_loss', score: int(3, 7) });
  for (const rid of joined) ev(end + int(0, 2) * MIN, 'classroom_left', rid);
  ev(end, 'lesson_ended', null);
  ev(end + MIN, 'teacher_left', null);
}

const created = Date.UTC(YEAR - 1, 11, 20);
const now = Date.now();
let lessons = 0;
const BATCH = 1000;
while (lessons < N_LESSONS) {
  db.transaction(() => {
    for (let b = 0; b < BATCH && lessons < N_LESSONS; b++) {
      const c = pick(communities);
      if (c.lecture.length === 0 || c.receiving.length === 0) continue;
      const lecture = pick(c.lecture);
      const day = pick(days);
      const period = pick(PERIODS);
      const key = `${lecture.id}|${day}|${period}`;
      if (booked.has(key)) continue; // one room, one lesson at a time
      booked.add(key);
      lessons++;
      const id = `ls${lessons}`;
      const subject = pick(SUBJECTS);
      const grade = pick(GRADES);
      const plannedStart = shanghaiTime(day, period);
      const plannedEnd = plannedStart + 40 * MIN;
      const adHoc = rand() < 0.03;
      const rooms = new Set<Room>();
      for (let k = int(2, 5); k > 0; k--) rooms.add(pick(c.receiving));
      const fate = rand();
      // 93 % taught and ended, 5 % never taught (cancelled or forgotten), 2 % in the future.
      const delivered = plannedStart < now && fate < 0.93;
      const start = plannedStart + int(-2, 5) * MIN;
      const end = start + int(35, 45) * MIN;
      insLesson.run(
        id,
        `${grade}${subject}`,
        subject,
        grade,
        `教师${int(1, 400)}`,
        lecture.id,
        adHoc ? null : plannedStart,
        adHoc ? null : plannedEnd,
        delivered ? 'ended' : 'scheduled',
        delivered ? start : null,
        delivered ? end : null,
        created,
      );
      for (const r of rooms) insLink.run(id, r.id);
      if (delivered) writeLog(id, [...rooms], start, end);
    }
  })();
}
db.close();
const loaded = performance.now();

// Summaries come from the log, through the same code the server uses.
const store = new SqliteStore(out);
store.rebuildSummaries({ onlyMissing: true }); // the constructor already did; a no-op then
store.db.pragma('wal_checkpoint(TRUNCATE)');
store.db.exec('ANALYZE');
const counts = store.db
  .prepare(
    `SELECT (SELECT count(*) FROM communities) communities, (SELECT count(*) FROM schools) schools,
       (SELECT count(*) FROM classrooms) classrooms, (SELECT count(*) FROM lessons) lessons,
       (SELECT count(*) FROM lesson_events) events, (SELECT count(*) FROM lesson_summaries) summaries`,
  )
  .get();
store.close();
console.log(
  JSON.stringify({
    out,
    ...(counts as object),
    loadSeconds: Math.round((loaded - t0) / 100) / 10,
    summariseSeconds: Math.round((performance.now() - loaded) / 100) / 10,
  }),
);
