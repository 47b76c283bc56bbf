import type { Figures } from '../../shared/audit.js';
import { AppError } from '../errors.js';
import type { Db } from '../store/db.js';
import type { ClassroomWithSchool, Community, LessonEvent, LessonRecord, School } from '../store/types.js';
import { toLesson, type LessonRow, type SqliteStore } from '../store/sqliteStore.js';
import { summariseLesson } from './lessonSummary.js';
import { SHANGHAI_OFFSET_MS, type DayRange } from './period.js';

/**
 * The audit figures, one definition for every table, report and export:
 * - a lesson's audit day is its planned start, else its actual start (ad-hoc lessons);
 * - planned: a timetable lesson (planned_start set) whose day is in the range;
 * - delivered: the lesson went live and was ended (status 'ended', started_at set);
 *   an interrupted lesson that was resumed and then ended counts once;
 * - delivery rate (开课率) = planned lessons delivered / lessons planned (ad-hoc lessons are
 *   delivered but not planned, so they never push the rate above 100 %);
 * - minutes, reach, pupil-visits and quizzes come from delivered lessons only, via the
 *   summaries rebuilt from the log (server/audit/lessonSummary.ts);
 * - classrooms reached / rural schools reached are distinct within a group;
 * - reached: online while live and the lesson's media got through to it (lessons logged before
 *   media_received existed: online while live); a classroom online whose media never got
 *   through counts in blockedClassroomLessons, its head count in blockedPupilVisits;
 * - pupil-visits (人次) = Σ over (lesson, reached-or-offline classroom) of the last
 *   reported/corrected `present` (a blocked classroom's pupils are not reached);
 * - average correct rate = mean over quizzes with a correct option and ≥ 1 answer of
 *   counts[correct] / Σ counts.
 */
export type { Figures } from '../../shared/audit.js';

export const GROUP_BYS = ['community', 'school', 'month', 'subject'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

export interface GroupRow extends Figures {
  key: string;
  label: string;
}

export interface BundledCommunity {
  community: Community;
  total: Figures;
  schools: (GroupRow & { role: 'core' | 'member'; area: School['area']; district: string })[];
}

export interface SchoolReport {
  school: School;
  community: Community | null;
  role: 'core' | 'member';
  totals: Figures;
  byMonth: GroupRow[];
  lessons: (LessonRecord & { lectureSchoolId: string; classroomsReached: number; pupilVisits: number })[];
}

export interface LessonDrillDown {
  lesson: LessonRecord;
  lecture: ClassroomWithSchool | null;
  summary: Figures;
  classrooms: (ClassroomWithSchool & {
    area: School['area'];
    online: boolean;
    reached: boolean;
    mediaBlocked: boolean;
    present: number | null;
  })[];
  events: LessonEvent[];
}

const DAY_AT = 'COALESCE(l.planned_start, l.started_at, l.created_at)';
const MONTH_OF = (col: string) => `strftime('%Y-%m', ${col} / 1000 + ${SHANGHAI_OFFSET_MS / 1000}, 'unixepoch')`;

interface LessonAgg {
  k: string;
  planned: number;
  delivered: number;
  planned_delivered: number;
  minutes: number;
  quizzes_run: number;
  quizzes_scored: number;
  rate_sum: number;
}
interface ReachAgg {
  k: string;
  classrooms: number;
  rural_schools: number;
  pupil_visits: number;
  blocked: number;
  blocked_visits: number;
}

const empty = (): Figures => ({
  lessonsPlanned: 0,
  lessonsDelivered: 0,
  plannedDelivered: 0,
  deliveryRate: null,
  minutesDelivered: 0,
  classroomsReached: 0,
  ruralSchoolsReached: 0,
  pupilVisits: 0,
  blockedClassroomLessons: 0,
  blockedPupilVisits: 0,
  quizzesRun: 0,
  avgCorrectRate: null,
});

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

function toFigures(a: LessonAgg | undefined, r: ReachAgg | undefined): Figures {
  const f = empty();
  if (a) {
    f.lessonsPlanned = a.planned;
    f.lessonsDelivered = a.delivered;
    f.plannedDelivered = a.planned_delivered;
    f.deliveryRate = a.planned > 0 ? round(a.planned_delivered / a.planned, 4) : null;
    f.minutesDelivered = round(a.minutes, 1);
    f.quizzesRun = a.quizzes_run;
    f.avgCorrectRate = a.quizzes_scored > 0 ? round(a.rate_sum / a.quizzes_scored, 4) : null;
  }
  if (r) {
    f.classroomsReached = r.classrooms;
    f.ruralSchoolsReached = r.rural_schools;
    f.pupilVisits = r.pupil_visits;
    f.blockedClassroomLessons = r.blocked;
    f.blockedPupilVisits = r.blocked_visits;
  }
  return f;
}

type Key = GroupBy | 'total';

/** Audit queries over lessons + the summaries derived from the log (SQLite). */
export class SqliteAudit {
  private readonly db: Db;
  private readonly stmts = new Map<string, ReturnType<Db['prepare']>>();

  constructor(private readonly store: SqliteStore) {
    this.db = store.db;
  }

  private prepared(sql: string) {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /**
   * The figures of every group in one range. SQL aggregates by (school, dimension) over the
   * denormalised summaries without joins; the small community model (schools, classrooms) is
   * then applied here to roll rows up to the requested group. Sums roll up exactly; distinct
   * counts (classrooms, rural schools) are rolled up from per-classroom rows.
   *
   * Participation ('school' grouping, or one school's report): a school takes part in a lesson
   * as its lecture school or through an invited receiving classroom, counted once per lesson;
   * reach belongs to the receiving classroom's own school.
   */
  private aggregate(range: DayRange, key: Key, schoolId: string | null): Map<string, Figures> {
    const dim: 'none' | 'month' | 'subject' = key === 'month' ? 'month' : key === 'subject' ? 'subject' : 'none';
    const participation = key === 'school' || schoolId !== null;
    const schools = new Map(this.store.listSchools().map((s) => [s.id, s]));
    const roomSchool = new Map(this.store.listClassrooms().map((c) => [c.id, c.schoolId]));
    const groupOf = (school: string, d: string): string | null => {
      if (schoolId !== null && school !== schoolId) return null;
      if (key === 'total') return '';
      if (key === 'community') return schools.get(school)?.communityId ?? null;
      if (key === 'school') return school;
      return d;
    };
    const acc = new Map<string, LessonAgg>();
    const lessonAgg = (k: string) => {
      let a = acc.get(k);
      if (!a) {
        a = { k, planned: 0, delivered: 0, planned_delivered: 0, minutes: 0, quizzes_run: 0, quizzes_scored: 0, rate_sum: 0 };
        acc.set(k, a);
      }
      return a;
    };
    const p = { from: range.from, to: range.to, ...(schoolId !== null ? { school: schoolId } : {}) };
    const only = (col: string) => (schoolId !== null ? `AND ${col} = @school` : '');
    const dSum = dim === 'month' ? 'month' : dim === 'subject' ? 'subject' : "''";
    const dLesson = dim === 'month' ? MONTH_OF(DAY_AT) : dim === 'subject' ? 'l.subject' : "''";

    // Planned lessons, by lecture room (lessons index covers it).
    const planned = this.prepared(
      `SELECT l.lecture_classroom_id AS room, ${dLesson} AS d, COUNT(*) AS n FROM lessons l
       WHERE ${DAY_AT} >= @from AND ${DAY_AT} < @to AND l.planned_start IS NOT NULL
         ${schoolId !== null ? 'AND l.lecture_classroom_id IN (SELECT id FROM classrooms WHERE school_id = @school)' : ''}
       GROUP BY room, d`,
    ).all(p) as { room: string; d: string; n: number }[];
    for (const r of planned) {
      const g = groupOf(roomSchool.get(r.room) ?? '', String(r.d));
      if (g !== null) lessonAgg(g).planned += r.n;
    }
    // Delivered lessons, by lecture school.
    const delivered = this.prepared(
      `SELECT lecture_school_id AS s, ${dSum} AS d, COUNT(*) AS n, TOTAL(planned) AS pd, TOTAL(minutes) AS m,
         TOTAL(quizzes_run) AS qr, TOTAL(quizzes_scored) AS qs, TOTAL(correct_rate_sum) AS rs
       FROM lesson_summaries WHERE day_at >= @from AND day_at < @to ${only('lecture_school_id')} GROUP BY s, d`,
    ).all(p) as { s: string; d: string; n: number; pd: number; m: number; qr: number; qs: number; rs: number }[];
    const addDelivered = (g: string, r: (typeof delivered)[number]) => {
      const a = lessonAgg(g);
      a.delivered += r.n;
      a.planned_delivered += r.pd;
      a.minutes += r.m;
      a.quizzes_run += r.qr;
      a.quizzes_scored += r.qs;
      a.rate_sum += r.rs;
    };
    for (const r of delivered) {
      const g = groupOf(r.s, String(r.d));
      if (g !== null) addDelivered(g, r);
    }
    if (participation) {
      // Receiving schools of delivered lessons: one flagged row per (lesson, school).
      const recv = this.prepared(
        `SELECT school_id AS s, ${dSum} AS d, TOTAL(school_first) AS n, TOTAL(school_first * planned) AS pd,
           TOTAL(school_first * minutes) AS m, TOTAL(school_first * quizzes_run) AS qr,
           TOTAL(school_first * quizzes_scored) AS qs, TOTAL(school_first * correct_rate_sum) AS rs
         FROM lesson_classroom_summaries WHERE day_at >= @from AND day_at < @to ${only('school_id')} GROUP BY s, d`,
      ).all(p) as (typeof delivered)[number][];
      for (const r of recv) {
        const g = groupOf(r.s, String(r.d));
        if (g !== null && r.n > 0) addDelivered(g, r);
      }
      // Receiving schools of planned lessons not delivered (few: no summaries to read).
      const open = this.prepared(
        `SELECT c.school_id AS s, ${dLesson} AS d, COUNT(DISTINCT l.id) AS n
         FROM lessons l JOIN lesson_classrooms lc ON lc.lesson_id = l.id JOIN classrooms c ON c.id = lc.classroom_id
           JOIN classrooms lr ON lr.id = l.lecture_classroom_id
         WHERE ${DAY_AT} >= @from AND ${DAY_AT} < @to AND l.planned_start IS NOT NULL AND l.status <> 'ended'
           AND c.school_id <> lr.school_id ${only('c.school_id')}
         GROUP BY s, d`,
      ).all(p) as { s: string; d: string; n: number }[];
      for (const r of open) {
        const g = groupOf(r.s, String(r.d));
        if (g !== null) lessonAgg(g).planned += r.n;
      }
      // ...and every delivered planned lesson they received was planned too.
      for (const r of recv) {
        const g = groupOf(r.s, String(r.d));
        if (g !== null) lessonAgg(g).planned += r.pd;
      }
    }
    // Reach, per classroom, then distinct classrooms / rural schools per group.
    // GROUP BY in the order of a covering index, so a year is one ordered scan, no sort.
    const owner = key === 'community' ? 'lecture_school_id' : 'school_id';
    const order = dim === 'none' ? `${owner}, classroom_id` : `${dSum}, school_id, classroom_id`;
    const reach = this.prepared(
      `SELECT ${owner} AS s, ${dSum} AS d, classroom_id AS c, school_id AS cs, MAX(reached) AS r, TOTAL(present) AS p,
         TOTAL(media_blocked) AS b, TOTAL(blocked_present) AS bp
       FROM lesson_classroom_summaries WHERE day_at >= @from AND day_at < @to ${only('school_id')} GROUP BY ${order}`,
    ).all(p) as { s: string; d: string; c: string; cs: string; r: number; p: number; b: number; bp: number }[];
    const reachAcc = new Map<string, { rooms: Set<string>; rural: Set<string>; visits: number; blocked: number; blockedVisits: number }>();
    for (const r of reach) {
      const g = groupOf(r.s, String(r.d));
      if (g === null) continue;
      let x = reachAcc.get(g);
      if (!x) {
        x = { rooms: new Set(), rural: new Set(), visits: 0, blocked: 0, blockedVisits: 0 };
        reachAcc.set(g, x);
      }
      x.visits += r.p;
      x.blocked += r.b;
      x.blockedVisits += r.bp;
      if (r.r) {
        x.rooms.add(r.c);
        if (schools.get(r.cs)?.area === 'rural') x.rural.add(r.cs);
      }
    }
    const out = new Map<string, Figures>();
    for (const k of new Set([...acc.keys(), ...reachAcc.keys()])) {
      const x = reachAcc.get(k);
      const r = x
        ? { k, classrooms: x.rooms.size, rural_schools: x.rural.size, pupil_visits: x.visits, blocked: x.blocked, blocked_visits: x.blockedVisits }
        : undefined;
      out.set(k, toFigures(acc.get(k), r));
    }
    return out;
  }

  totals(range: DayRange): Figures {
    return this.aggregate(range, 'total', null).get('') ?? empty();
  }

  table(range: DayRange, groupBy: GroupBy): GroupRow[] {
    const figures = this.aggregate(range, groupBy, null);
    if (groupBy === 'community') {
      return this.store.listCommunities().map((c) => ({ key: c.id, label: c.name, ...(figures.get(c.id) ?? empty()) }));
    }
    if (groupBy === 'school') {
      return this.store.listSchools().map((s) => ({ key: s.id, label: s.name, ...(figures.get(s.id) ?? empty()) }));
    }
    if (groupBy === 'month') return monthsOf(range).map((m) => ({ key: m, label: m, ...(figures.get(m) ?? empty()) }));
    return [...figures.entries()]
      .sort(([a], [b]) => a.localeCompare(b, 'zh-CN'))
      .map(([k, f]) => ({ key: k, label: k, ...f }));
  }

  /** 捆绑评价: each community's core school first, then its member schools, side by side. */
  bundled(range: DayRange): BundledCommunity[] {
    const bySchool = this.aggregate(range, 'school', null);
    const byCommunity = this.aggregate(range, 'community', null);
    const schools = this.store.listSchools();
    return this.store.listCommunities().map((community) => {
      const rows = schools
        .filter((s) => s.communityId === community.id)
        .map((s) => ({
          key: s.id,
          label: s.name,
          role: s.id === community.coreSchoolId ? ('core' as const) : ('member' as const),
          area: s.area,
          district: s.district,
          ...(bySchool.get(s.id) ?? empty()),
        }))
        .sort((a, b) => (a.role === b.role ? a.label.localeCompare(b.label, 'zh-CN') : a.role === 'core' ? -1 : 1));
      return { community, total: byCommunity.get(community.id) ?? empty(), schools: rows };
    });
  }

  /** 一校一报告: one school's figures, by month, and the lessons it took part in. */
  schoolReport(range: DayRange, schoolId: string): SchoolReport {
    const school = this.store.getSchool(schoolId);
    if (!school) throw new AppError('NOT_FOUND', 'unknown school');
    const community = this.store.getCommunity(school.communityId);
    const months = this.aggregate(range, 'month', schoolId);
    // The school's lessons through the indexes: its lecture rooms, then its invited classrooms.
    const lessons = this.prepared(
      `WITH mine AS (
         SELECT l.id FROM classrooms c JOIN lessons l ON l.lecture_classroom_id = c.id WHERE c.school_id = @school
         UNION
         SELECT lc.lesson_id FROM classrooms c JOIN lesson_classrooms lc ON lc.classroom_id = c.id WHERE c.school_id = @school)
       SELECT l.*, c.school_id AS lectureSchoolId,
         (SELECT COUNT(*) FROM lesson_classroom_summaries cs
            WHERE cs.lesson_id = l.id AND cs.reached AND cs.school_id = @school) AS classroomsReached,
         (SELECT TOTAL(cs.present) FROM lesson_classroom_summaries cs
            WHERE cs.lesson_id = l.id AND cs.school_id = @school) AS pupilVisits
       FROM mine JOIN lessons l ON l.id = mine.id JOIN classrooms c ON c.id = l.lecture_classroom_id
       WHERE ${DAY_AT} >= @from AND ${DAY_AT} < @to
       ORDER BY ${DAY_AT}, l.id LIMIT 5000`,
    ).all({ from: range.from, to: range.to, school: schoolId }) as (LessonRow & {
      lectureSchoolId: string;
      classroomsReached: number;
      pupilVisits: number;
    })[];
    return {
      school,
      community,
      role: community?.coreSchoolId === school.id ? 'core' : 'member',
      totals: this.aggregate(range, 'total', schoolId).get('') ?? empty(),
      byMonth: monthsOf(range).map((m) => ({ key: m, label: m, ...(months.get(m) ?? empty()) })),
      lessons: lessons.map((r) => ({
        ...toLesson(r),
        lectureSchoolId: r.lectureSchoolId,
        classroomsReached: r.classroomsReached,
        pupilVisits: r.pupilVisits,
      })),
    };
  }

  /**
   * One lesson down to its log: every invited classroom and every event, with the figures
   * recomputed from the log right here (the same function the stored summaries come from),
   * so a live lesson shows its reach so far. Counted in totals only once delivered.
   */
  lesson(lessonId: string): LessonDrillDown {
    const lesson = this.store.getLesson(lessonId);
    if (!lesson) throw new AppError('NOT_FOUND', 'unknown lesson');
    const events = this.store.listEvents(lessonId);
    const s = summariseLesson(lesson, events);
    const byId = new Map(s.classrooms.map((c) => [c.classroomId, c]));
    const ids = new Set([...this.store.lessonClassrooms(lessonId).map((c) => c.id), ...byId.keys()]);
    const classrooms = [...ids]
      .map((id) => {
        const c = this.store.getClassroom(id);
        const school = c ? this.store.getSchool(c.schoolId) : null;
        if (!c || !school) return null;
        const cs = byId.get(id);
        return {
          ...c,
          area: school.area,
          online: cs?.online ?? false,
          reached: cs?.reached ?? false,
          mediaBlocked: cs?.mediaBlocked ?? false,
          present: cs?.present ?? null,
        };
      })
      .filter((c) => c !== null)
      .sort((a, b) => a.schoolName.localeCompare(b.schoolName, 'zh-CN') || a.id.localeCompare(b.id));
    const delivered = lesson.status === 'ended' && lesson.startedAt !== null;
    const planned = lesson.plannedStart !== null;
    const reached = classrooms.filter((c) => c.reached);
    const blocked = classrooms.filter((c) => c.mediaBlocked);
    const headCounts = (list: typeof classrooms) => list.reduce((a, c) => a + (c.present ?? 0), 0);
    const summary: Figures = {
      lessonsPlanned: planned ? 1 : 0,
      lessonsDelivered: delivered ? 1 : 0,
      plannedDelivered: delivered && planned ? 1 : 0,
      deliveryRate: planned ? (delivered ? 1 : 0) : null,
      minutesDelivered: round(s.minutes, 1),
      classroomsReached: reached.length,
      ruralSchoolsReached: new Set(reached.filter((c) => c.area === 'rural').map((c) => c.schoolId)).size,
      pupilVisits: headCounts(classrooms.filter((c) => !c.mediaBlocked)),
      blockedClassroomLessons: blocked.length,
      blockedPupilVisits: headCounts(blocked),
      quizzesRun: s.quizzesRun,
      avgCorrectRate: s.quizzesScored > 0 ? round(s.correctRateSum / s.quizzesScored, 4) : null,
    };
    return { lesson, lecture: this.store.getClassroom(lesson.lectureClassroomId), summary, classrooms, events };
  }
}

/** Every month (YYYY-MM) the range touches, so empty months still show as zero. */
export function monthsOf(range: DayRange): string[] {
  const out: string[] = [];
  let [y, m] = range.fromDay.split('-').map(Number) as [number, number];
  const end = range.toDay.slice(0, 7);
  for (;;) {
    const key = `${y}-${String(m).padStart(2, '0')}`;
    out.push(key);
    if (key >= end) break;
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
  }
  return out;
}
