import { AppError } from '../errors.js';
import type { LessonStatus } from '../../shared/lesson.js';
import { openDb, type Db } from './db.js';
import type {
  Classroom,
  ClassroomWithSchool,
  Community,
  LessonEvent,
  LessonEventType,
  LessonRecord,
  NewLesson,
  School,
  Store,
} from './types.js';

interface LessonRow {
  id: string;
  title: string;
  subject: string;
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

const toLesson = (r: LessonRow): LessonRecord => ({
  id: r.id,
  title: r.title,
  subject: r.subject,
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

const CLASSROOM_WITH_SCHOOL = `
  SELECT c.id, c.school_id AS schoolId, c.name, c.kind, s.name AS schoolName, s.area
  FROM classrooms c JOIN schools s ON s.id = c.school_id`;

export class SqliteStore implements Store {
  readonly db: Db;

  constructor(file: string) {
    this.db = openDb(file);
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
          `INSERT INTO lessons (id, title, subject, teacher_name, lecture_classroom_id,
             planned_start, planned_end, status, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'scheduled', ?)`,
        )
        .run(
          l.id,
          l.title,
          l.subject,
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

  listLessons(filter: { status?: LessonStatus } = {}): LessonRecord[] {
    const rows = filter.status
      ? this.db.prepare('SELECT * FROM lessons WHERE status = ? ORDER BY created_at DESC').all(filter.status)
      : this.db.prepare('SELECT * FROM lessons ORDER BY created_at DESC').all();
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
    const info = this.db
      .prepare('INSERT INTO lesson_events (lesson_id, at, type, classroom_id, data) VALUES (?, ?, ?, ?, ?)')
      .run(e.lessonId, e.at, e.type, e.classroomId, JSON.stringify(e.data));
    return { ...e, seq: Number(info.lastInsertRowid) };
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

  listEvents(lessonId: string): LessonEvent[] {
    return (
      this.db.prepare('SELECT * FROM lesson_events WHERE lesson_id = ? ORDER BY seq').all(lessonId) as EventRow[]
    ).map(toEvent);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
