import { AppError } from '../errors.js';
import type { Db } from '../store/db.js';
import type { ClassroomWithSchool, Community, LessonEvent, LessonRecord, School } from '../store/types.js';
import type { SqliteStore } from '../store/sqliteStore.js';
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
 * - pupil-visits (人次) = Σ over (lesson, classroom) of the last reported/corrected `present`;
 * - average correct rate = mean over quizzes with a correct option and ≥ 1 answer of
 *   counts[correct] / Σ counts.
 */
export interface Figures {
  lessonsPlanned: number;
  lessonsDelivered: number;
  plannedDelivered: number;
  deliveryRate: number | null;
  minutesDelivered: number;
  classroomsReached: number;
  ruralSchoolsReached: number;
  pupilVisits: number;
  quizzesRun: number;
  avgCorrectRate: number | null;
}

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
  classrooms: (ClassroomWithSchool & { area: School['area']; reached: boolean; present: number | null })[];
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

  /** Lesson-level and reach-level aggregates keyed by the group, optionally for one school. */
  private aggregate(range: DayRange, key: Key, schoolId: string | null): Map<string, Figures> {
    const schoolFilter = schoolId
      ? `AND (c.school_id = @school OR EXISTS (SELECT 1 FROM lesson_classrooms x JOIN classrooms xc ON xc.id = x.classroom_id
             WHERE x.lesson_id = l.id AND xc.school_id = @school))`
      : '';
    const base = `WITH l AS (
        SELECT l.id, l.subject, l.planned_start IS NOT NULL AS planned,
          (l.status = 'ended' AND l.started_at IS NOT NULL) AS delivered,
          ${DAY_AT} AS day_at, s.community_id, c.school_id AS lecture_school_id
        FROM lessons l JOIN classrooms c ON c.id = l.lecture_classroom_id JOIN schools s ON s.id = c.school_id
        WHERE ${DAY_AT} >= @from AND ${DAY_AT} < @to ${schoolFilter})`;
    const lessonKey: Record<Key, string> = {
      total: "''",
      community: 'l.community_id',
      school: 'p.school_id',
      month: MONTH_OF('l.day_at'),
      subject: 'l.subject',
    };
    // A school takes part in a lesson as its lecture school or through a receiving classroom.
    const from =
      key === 'school'
        ? `(SELECT id AS lesson_id, lecture_school_id AS school_id FROM l
             UNION SELECT lc.lesson_id, c.school_id FROM l JOIN lesson_classrooms lc ON lc.lesson_id = l.id
               JOIN classrooms c ON c.id = lc.classroom_id) p JOIN l ON l.id = p.lesson_id`
        : 'l';
    const lessonSql = `${base}
      SELECT ${lessonKey[key]} AS k, TOTAL(l.planned) AS planned, TOTAL(l.delivered) AS delivered,
        TOTAL(l.planned AND l.delivered) AS planned_delivered,
        TOTAL(CASE WHEN l.delivered THEN ls.minutes END) AS minutes,
        TOTAL(CASE WHEN l.delivered THEN ls.quizzes_run END) AS quizzes_run,
        TOTAL(CASE WHEN l.delivered THEN ls.quizzes_scored END) AS quizzes_scored,
        TOTAL(CASE WHEN l.delivered THEN ls.correct_rate_sum END) AS rate_sum
      FROM ${from} LEFT JOIN lesson_summaries ls ON ls.lesson_id = l.id
      ${schoolId && key === 'school' ? 'WHERE p.school_id = @school' : ''}
      GROUP BY k`;
    // Reach belongs to the receiving classroom's own school (no double counting across schools).
    const reachKey = key === 'school' ? 'sc.id' : lessonKey[key];
    const reachSql = `${base}
      SELECT ${reachKey} AS k,
        COUNT(DISTINCT CASE WHEN cs.reached THEN cs.classroom_id END) AS classrooms,
        COUNT(DISTINCT CASE WHEN cs.reached AND sc.area = 'rural' THEN sc.id END) AS rural_schools,
        TOTAL(cs.present) AS pupil_visits
      FROM l JOIN lesson_classroom_summaries cs ON cs.lesson_id = l.id
        JOIN classrooms c ON c.id = cs.classroom_id JOIN schools sc ON sc.id = c.school_id
      WHERE l.delivered ${schoolId ? 'AND sc.id = @school' : ''}
      GROUP BY k`;
    const params = { from: range.from, to: range.to, ...(schoolId ? { school: schoolId } : {}) };
    const lessons = this.prepared(lessonSql).all(params) as LessonAgg[];
    const reach = new Map((this.prepared(reachSql).all(params) as ReachAgg[]).map((r) => [String(r.k), r]));
    const out = new Map<string, Figures>();
    for (const a of lessons) out.set(String(a.k), toFigures(a, reach.get(String(a.k))));
    for (const [k, r] of reach) if (!out.has(k)) out.set(k, toFigures(undefined, r));
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
    const lessons = this.prepared(
      `SELECT l.*, c.school_id AS lectureSchoolId,
         (SELECT COUNT(*) FROM lesson_classroom_summaries cs JOIN classrooms rc ON rc.id = cs.classroom_id
            WHERE cs.lesson_id = l.id AND cs.reached AND rc.school_id = @school) AS classroomsReached,
         (SELECT TOTAL(cs.present) FROM lesson_classroom_summaries cs JOIN classrooms rc ON rc.id = cs.classroom_id
            WHERE cs.lesson_id = l.id AND rc.school_id = @school) AS pupilVisits
       FROM lessons l JOIN classrooms c ON c.id = l.lecture_classroom_id
       WHERE ${DAY_AT} >= @from AND ${DAY_AT} < @to
         AND (c.school_id = @school OR EXISTS (SELECT 1 FROM lesson_classrooms x JOIN classrooms xc ON xc.id = x.classroom_id
              WHERE x.lesson_id = l.id AND xc.school_id = @school))
       ORDER BY ${DAY_AT}, l.id LIMIT 5000`,
    ).all({ from: range.from, to: range.to, school: schoolId }) as Record<string, unknown>[];
    return {
      school,
      community,
      role: community?.coreSchoolId === school.id ? 'core' : 'member',
      totals: this.aggregate(range, 'total', schoolId).get('') ?? empty(),
      byMonth: monthsOf(range).map((m) => ({ key: m, label: m, ...(months.get(m) ?? empty()) })),
      lessons: lessons.map((r) => ({
        ...this.store.getLesson(String(r.id))!,
        lectureSchoolId: String(r.lectureSchoolId),
        classroomsReached: Number(r.classroomsReached),
        pupilVisits: Number(r.pupilVisits),
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
        return { ...c, area: school.area, reached: byId.get(id)?.reached ?? false, present: byId.get(id)?.present ?? null };
      })
      .filter((c) => c !== null)
      .sort((a, b) => a.schoolName.localeCompare(b.schoolName, 'zh-CN') || a.id.localeCompare(b.id));
    const delivered = lesson.status === 'ended' && lesson.startedAt !== null;
    const planned = lesson.plannedStart !== null;
    const reached = classrooms.filter((c) => c.reached);
    const summary: Figures = {
      lessonsPlanned: planned ? 1 : 0,
      lessonsDelivered: delivered ? 1 : 0,
      plannedDelivered: delivered && planned ? 1 : 0,
      deliveryRate: planned ? (delivered ? 1 : 0) : null,
      minutesDelivered: round(s.minutes, 1),
      classroomsReached: reached.length,
      ruralSchoolsReached: new Set(reached.filter((c) => c.area === 'rural').map((c) => c.schoolId)).size,
      pupilVisits: classrooms.reduce((a, c) => a + (c.present ?? 0), 0),
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
