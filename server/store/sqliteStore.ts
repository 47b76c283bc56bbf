import { AppError } from '../errors.js';
import type { LessonStatus } from '../../shared/lesson.js';
import { summariseLesson } from '../audit/lessonSummary.js';
import { shanghaiDay } from '../audit/period.js';
import { openDb, type Db } from './db.js';
import type {
  Classroom,
  ClassroomWithSchool,
  Community,
  LessonEvent,
  LessonEventType,
  LessonRecord,
  NewLesson,
  PlannedLesson,
  School,
  Store,
  TimetableEntry,
} from './types.js';

export interface LessonRow {
  id: string;
  title: string;
  subject: string;
  grade: string;
  teacher_name: string;
  lecture_classroom_id: string;
  planned_start: number | null;
  planned_end: number | null;
  status: LessonStatus;
  started_at: number | null;
  ended_at: number | null;
  created_at: number;
}

interface EventRow {
  seq: number;
  lesson_id: string;
  at: number;
  type: LessonEventType;
  classroom_id: string | null;
  data: string;
}

/** A `SELECT * FROM lessons` row as a LessonRecord (the audit queries read lessons too). */
export const toLesson = (r: LessonRow): LessonRecord => ({
  id: r.id,
  title: r.title,
  subject: r.subject,
  grade: r.grade,
  teacherName: r.teacher_name,
  lectureClassroomId: r.lecture_classroom_id,
  plannedStart: r.planned_start,
  plannedEnd: r.planned_end,
  status: r.status,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  createdAt: r.created_at,
});

const toEvent = (r: EventRow): LessonEvent => ({
  seq: r.seq,
  lessonId: r.lesson_id,
  at: r.at,
  type: r.type,
  classroomId: r.classroom_id,
  data: JSON.parse(r.data) as Record<string, unknown>,
});

interface CommunityRow {
  id: string;
  name: string;
  type: Community['type'];
  core_school_id: string | null;
}
const toCommunity = (r: CommunityRow): Community => ({ id: r.id, name: r.name, type: r.type, coreSchoolId: r.core_school_id });
const SCHOOL_COLUMNS = 'id, community_id AS communityId, name, district, area';

const CLASSROOM_WITH_SCHOOL = `
  SELECT c.id, c.school_id AS schoolId, c.name, c.kind, s.name AS schoolName, s.area
  FROM classrooms c JOIN schools s ON s.id = c.school_id`;

export class SqliteStore implements Store {
  readonly db: Db;

  constructor(file: string) {
    this.db = openDb(file);
    // A database from before the summaries existed (or one whose summaries were dropped).
    this.rebuildSummaries({ onlyMissing: true });
  }

  upsertCommunity(c: Community): void {
    this.db
      .prepare(
        `INSERT INTO communities (id, name, type, core_school_id) VALUES (@id, @name, @type, @coreSchoolId)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, type = excluded.type,
           core_school_id = excluded.core_school_id`,
      )
      .run(c);
  }

  upsertSchool(s: School): void {
    this.db
      .prepare(
        `INSERT INTO schools (id, community_id, name, district, area)
         VALUES (@id, @communityId, @name, @district, @area)
         ON CONFLICT(id) DO UPDATE SET community_id = excluded.community_id, name = excluded.name,
           district = excluded.district, area = excluded.area`,
      )
      .run(s);
  }

  upsertClassroom(c: Classroom): void {
    this.db
      .prepare(
        `INSERT INTO classrooms (id, school_id, name, kind) VALUES (@id, @schoolId, @name, @kind)
         ON CONFLICT(id) DO UPDATE SET school_id = excluded.school_id, name = excluded.name,
           kind = excluded.kind`,
      )
      .run(c);
  }

  getClassroom(id: string): ClassroomWithSchool | null {
    return (
      (this.db.prepare(`${CLASSROOM_WITH_SCHOOL} WHERE c.id = ?`).get(id) as
        | ClassroomWithSchool
        | undefined) ?? null
    );
  }

  createLesson(l: NewLesson, now: number): LessonRecord {
    const insert = this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO lessons (id, title, subject, grade, teacher_name, lecture_classroom_id,
             planned_start, planned_end, status, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'scheduled', ?)`,
        )
        .run(
          l.id,
          l.title,
          l.subject,
          l.grade ?? '',
          l.teacherName,
          l.lectureClassroomId,
          l.plannedStart ?? null,
          l.plannedEnd ?? null,
          now,
        );
      const link = this.db.prepare('INSERT INTO lesson_classrooms (lesson_id, classroom_id) VALUES (?, ?)');
      for (const c of l.receivingClassroomIds) link.run(l.id, c);
    });
    insert();
    return this.getLesson(l.id)!;
  }

  getLesson(id: string): LessonRecord | null {
    const row = this.db.prepare('SELECT * FROM lessons WHERE id = ?').get(id) as LessonRow | undefined;
    return row ? toLesson(row) : null;
  }

  listLessons(filter: { status?: LessonStatus; limit?: number } = {}): LessonRecord[] {
    const limit = filter.limit ?? -1; // SQLite: a negative LIMIT means none
    const rows = filter.status
      ? this.db.prepare('SELECT * FROM lessons WHERE status = ? ORDER BY created_at DESC, rowid DESC LIMIT ?').all(filter.status, limit)
      : this.db.prepare('SELECT * FROM lessons ORDER BY created_at DESC, rowid DESC LIMIT ?').all(limit);
    return (rows as LessonRow[]).map(toLesson);
  }

  lessonClassrooms(lessonId: string): ClassroomWithSchool[] {
    return this.db
      .prepare(
        `${CLASSROOM_WITH_SCHOOL} JOIN lesson_classrooms lc ON lc.classroom_id = c.id
         WHERE lc.lesson_id = ? ORDER BY c.id`,
      )
      .all(lessonId) as ClassroomWithSchool[];
  }

  transitionLesson(
    id: string,
    from: LessonStatus,
    to: LessonStatus,
    event: { type: LessonEventType; at: number; data?: Record<string, unknown> },
  ): LessonRecord {
    const run = this.db.transaction(() => {
      const column = to === 'live' ? 'started_at' : to === 'ended' ? 'ended_at' : null;
      const set = column ? `status = ?, ${column} = ?` : 'status = ?';
      const args = column ? [to, event.at, id, from] : [to, id, from];
      const changed = this.db
        .prepare(`UPDATE lessons SET ${set} WHERE id = ? AND status = ?`)
        .run(...args).changes;
      if (changed !== 1) {
        throw new AppError('CONFLICT', `lesson is not ${from}`);
      }
      this.appendEvent({ lessonId: id, at: event.at, type: event.type, classroomId: null, data: event.data ?? {} });
    });
    run();
    return this.getLesson(id)!;
  }

  appendEvent(e: Omit<LessonEvent, 'seq'>): LessonEvent {
    const run = this.db.transaction(() => {
      const info = this.db
        .prepare('INSERT INTO lesson_events (lesson_id, at, type, classroom_id, data) VALUES (?, ?, ?, ?, ?)')
        .run(e.lessonId, e.at, e.type, e.classroomId, JSON.stringify(e.data));
      // An ended lesson's summary follows its log in the same transaction (lesson_ended itself,
      // or a late attendance correction), so audit figures never lag the log.
      const status = this.db.prepare('SELECT status FROM lessons WHERE id = ?').pluck().get(e.lessonId);
      if (status === 'ended') this.refreshSummary(e.lessonId);
      return Number(info.lastInsertRowid);
    });
    return { ...e, seq: run() };
  }

  /** Recomputes one lesson's derived rows from its log (call inside a transaction). */
  private refreshSummary(lessonId: string): void {
    const lesson = this.getLesson(lessonId);
    if (!lesson) return;
    this.db.prepare('DELETE FROM lesson_classroom_summaries WHERE lesson_id = ?').run(lessonId);
    this.db.prepare('DELETE FROM lesson_summaries WHERE lesson_id = ?').run(lessonId);
    const lecture = this.getClassroom(lesson.lectureClassroomId);
    if (lesson.status !== 'ended' || lesson.startedAt === null || !lecture) return;
    const s = summariseLesson(lesson, this.listEvents(lessonId));
    const dayAt = lesson.plannedStart ?? lesson.startedAt;
    const planned = lesson.plannedStart !== null ? 1 : 0;
    const month = shanghaiDay(dayAt).slice(0, 7);
    const figures = [s.minutes, s.quizzesRun, s.quizzesScored, s.correctRateSum] as const;
    this.db
      .prepare(
        `INSERT INTO lesson_summaries (lesson_id, day_at, month, lecture_classroom_id, lecture_school_id, subject, planned,
           minutes, quizzes_run, quizzes_scored, correct_rate_sum, last_seq, computed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(lessonId, dayAt, month, lecture.id, lecture.schoolId, lesson.subject, planned, ...figures, s.lastSeq, Date.now());
    // Every invited classroom gets a row (reached or not), plus any that joined uninvited.
    const byId = new Map(s.classrooms.map((c) => [c.classroomId, c]));
    const ids = [...new Set([...this.lessonClassrooms(lessonId).map((c) => c.id), ...byId.keys()])].sort();
    const insert = this.db.prepare(
      `INSERT INTO lesson_classroom_summaries (lesson_id, classroom_id, school_id, day_at, month, lecture_school_id,
         subject, planned, reached, present, media_blocked, blocked_present, school_first, minutes, quizzes_run,
         quizzes_scored, correct_rate_sum)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const schoolsSeen = new Set<string>([lecture.schoolId]);
    for (const id of ids) {
      const room = this.getClassroom(id);
      if (!room) continue;
      const first = schoolsSeen.has(room.schoolId) ? 0 : 1;
      schoolsSeen.add(room.schoolId);
      const c = byId.get(id);
      // A blocked classroom's pupils sat before a black screen: their head count is kept apart.
      const blocked = c?.mediaBlocked ?? false;
      const headCount = c?.present ?? null;
      insert.run(lessonId, id, room.schoolId, dayAt, month, lecture.schoolId, lesson.subject, planned, c?.reached ? 1 : 0,
        blocked ? null : headCount, blocked ? 1 : 0, blocked ? headCount : null, first, ...figures);
    }
  }

  rebuildSummaries(filter: { onlyMissing?: boolean } = {}): number {
    const ids = this.db
      .prepare(
        `SELECT id FROM lessons WHERE status = 'ended'
         ${filter.onlyMissing ? 'AND id NOT IN (SELECT lesson_id FROM lesson_summaries)' : ''}`,
      )
      .pluck()
      .all() as string[];
    // Batches keep each transaction (and its fsync) reasonably sized on a big log.
    const batch = this.db.transaction((chunk: string[]) => {
      for (const id of chunk) this.refreshSummary(id);
    });
    for (let i = 0; i < ids.length; i += 500) batch(ids.slice(i, i + 500));
    return ids.length;
  }

  getCommunity(id: string): Community | null {
    const row = this.db.prepare('SELECT * FROM communities WHERE id = ?').get(id) as CommunityRow | undefined;
    return row ? toCommunity(row) : null;
  }

  getSchool(id: string): School | null {
    return (this.db.prepare(`SELECT ${SCHOOL_COLUMNS} FROM schools WHERE id = ?`).get(id) as School | undefined) ?? null;
  }

  listCommunities(): Community[] {
    return (this.db.prepare('SELECT * FROM communities').all() as CommunityRow[])
      .map(toCommunity)
      .sort((a, b) => a.name.localeCompare(b.name, 'zh-CN') || a.id.localeCompare(b.id));
  }

  listSchools(filter: { communityId?: string } = {}): School[] {
    return (
      filter.communityId
        ? this.db.prepare(`SELECT ${SCHOOL_COLUMNS} FROM schools WHERE community_id = ? ORDER BY name, id`).all(filter.communityId)
        : this.db.prepare(`SELECT ${SCHOOL_COLUMNS} FROM schools ORDER BY community_id, name, id`).all()
    ) as School[];
  }

  listClassrooms(filter: { schoolId?: string } = {}): ClassroomWithSchool[] {
    return (
      filter.schoolId
        ? this.db.prepare(`${CLASSROOM_WITH_SCHOOL} WHERE c.school_id = ? ORDER BY c.name, c.id`).all(filter.schoolId)
        : this.db.prepare(`${CLASSROOM_WITH_SCHOOL} ORDER BY s.name, c.name, c.id`).all()
    ) as ClassroomWithSchool[];
  }

  listTimetable(range: { from: number; to: number }): TimetableEntry[] {
    const rows = this.db
      .prepare(
        `SELECT l.*, (SELECT group_concat(classroom_id, ',') FROM
             (SELECT classroom_id FROM lesson_classrooms WHERE lesson_id = l.id ORDER BY classroom_id)) AS rc
         FROM lessons l
         WHERE l.planned_start IS NOT NULL AND l.planned_start >= ? AND l.planned_start < ?
         ORDER BY l.planned_start, l.id`,
      )
      .all(range.from, range.to) as (LessonRow & { rc: string | null })[];
    return rows.map((r) => ({ ...toLesson(r), receivingClassroomIds: r.rc ? r.rc.split(',') : [] }));
  }

  savePlannedLesson(l: PlannedLesson, now: number): { lesson: LessonRecord; created: boolean } {
    const run = this.db.transaction(() => {
      const existing = this.getLesson(l.id);
      if (!existing) {
        this.createLesson(l, now);
        return true;
      }
      if (existing.status !== 'scheduled') throw new AppError('CONFLICT', `lesson ${l.id} is ${existing.status}: it can no longer be changed`);
      this.db
        .prepare(
          `UPDATE lessons SET title = ?, subject = ?, grade = ?, teacher_name = ?, lecture_classroom_id = ?,
             planned_start = ?, planned_end = ? WHERE id = ? AND status = 'scheduled'`,
        )
        .run(l.title, l.subject, l.grade, l.teacherName, l.lectureClassroomId, l.plannedStart, l.plannedEnd, l.id);
      this.db.prepare('DELETE FROM lesson_classrooms WHERE lesson_id = ?').run(l.id);
      const link = this.db.prepare('INSERT INTO lesson_classrooms (lesson_id, classroom_id) VALUES (?, ?)');
      for (const c of l.receivingClassroomIds) link.run(l.id, c);
      return false;
    });
    const created = run();
    return { lesson: this.getLesson(l.id)!, created };
  }

  findOverlappingLesson(lectureClassroomId: string, start: number, end: number, exceptId: string): string | null {
    return (
      (this.db
        .prepare(
          `SELECT id FROM lessons WHERE lecture_classroom_id = ? AND id <> ?
             AND planned_start < ? AND planned_end > ? LIMIT 1`,
        )
        .pluck()
        .get(lectureClassroomId, exceptId, end, start) as string | undefined) ?? null
    );
  }

  purgeQuestionTexts(before: number): number {
    return this.db.prepare('DELETE FROM question_texts WHERE created_at < ?').run(before).changes;
  }

  appendQuestion(e: Omit<LessonEvent, 'seq'>, text: string | null): LessonEvent {
    return this.db.transaction(() => {
      const logged = this.appendEvent(e);
      const questionId = e.data.questionId;
      if (text !== null && typeof questionId === 'string') {
        this.db
          .prepare('INSERT INTO question_texts (question_id, lesson_id, classroom_id, text, created_at) VALUES (?, ?, ?, ?, ?)')
          .run(questionId, e.lessonId, e.classroomId, text, e.at);
      }
      return logged;
    })();
  }

  questionTexts(lessonId: string): Map<string, string> {
    const rows = this.db.prepare('SELECT question_id AS id, text FROM question_texts WHERE lesson_id = ?').all(lessonId) as {
      id: string;
      text: string;
    }[];
    return new Map(rows.map((r) => [r.id, r.text]));
  }

  listEvents(lessonId: string): LessonEvent[] {
    return (
      this.db.prepare('SELECT * FROM lesson_events WHERE lesson_id = ? ORDER BY seq').all(lessonId) as EventRow[]
    ).map(toEvent);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
