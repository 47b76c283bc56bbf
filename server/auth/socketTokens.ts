import type { Grant } from '../../shared/token.js';
import { AppError } from '../errors.js';
import type { Db } from '../store/db.js';
import { toLesson, type LessonRow } from '../store/sqliteStore.js';
import type { LessonRecord, Store } from '../store/types.js';
import type { TokenService, TokenSubject } from './tokens.js';

const MIN_TTL_S = 5 * 60;
const MAX_TTL_S = 12 * 3600;
const UNPLANNED_TTL_S = 4 * 3600;
const INSPECTOR_TTL_S = 2 * 3600;

export interface IssuedToken {
  token: string;
  lessonId: string | null;
  expiresAt: number;
}

/**
 * Issues the short-lived socket tokens behind a login session or a device credential:
 * minimal grants (one lesson, one classroom), expiring with the lesson's planned end plus
 * a margin (bounded, so a mis-planned lesson does not mint a week-long token), and naming the
 * account or device they were issued to, so an administrator can withdraw them sooner.
 */
export interface JoinableLesson {
  id: string;
  title: string;
  subject: string;
  status: LessonRecord['status'];
  plannedStart: number | null;
  plannedEnd: number | null;
}

export class SocketTokenIssuer {
  constructor(
    private readonly tokens: TokenService,
    private readonly store: Store,
    private readonly db: Db,
    private readonly marginMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private ttlFor(lesson: LessonRecord): number {
    if (lesson.plannedEnd === null) return UNPLANNED_TTL_S;
    const s = Math.floor((lesson.plannedEnd + this.marginMs - this.now()) / 1000);
    return Math.min(MAX_TTL_S, Math.max(MIN_TTL_S, s));
  }

  private async issue(grant: Grant, ttl: number, lessonId: string | null, subject: TokenSubject): Promise<IssuedToken> {
    const now = this.now();
    return { token: await this.tokens.sign(grant, ttl, now, subject), lessonId, expiresAt: now + ttl * 1000 };
  }

  private open(lessonId: string): LessonRecord {
    const lesson = this.store.getLesson(lessonId);
    if (!lesson) throw new AppError('NOT_FOUND', 'unknown lesson');
    if (lesson.status === 'ended') throw new AppError('CONFLICT', 'lesson has ended');
    return lesson;
  }

  /** A teacher account runs only the lessons planned under its teacher name. */
  async forTeacher(subject: TokenSubject, teacherName: string, lessonId: string): Promise<IssuedToken> {
    const lesson = this.open(lessonId);
    if (lesson.teacherName !== teacherName) throw new AppError('FORBIDDEN', 'this lesson is not yours');
    return this.issue({ role: 'teacher', lessonId, name: teacherName }, this.ttlFor(lesson), lessonId, subject);
  }

  /** An assistant or device: the named lesson, or the classroom's current one. */
  async forClassroom(subject: TokenSubject, classroomId: string, lessonId?: string): Promise<IssuedToken> {
    const lesson = lessonId ? this.open(lessonId) : this.currentLesson(classroomId);
    if (!this.store.lessonClassrooms(lesson.id).some((c) => c.id === classroomId)) {
      throw new AppError('FORBIDDEN', 'this classroom is not invited to this lesson');
    }
    return this.issue({ role: 'assistant', lessonId: lesson.id, classroomId }, this.ttlFor(lesson), lesson.id, subject);
  }

  /** An inspector chooses the lesson at connect; its token may pin one. */
  async forInspector(subject: TokenSubject, name: string, lessonId?: string): Promise<IssuedToken> {
    if (lessonId) this.open(lessonId);
    return this.issue({ role: 'inspector', name, ...(lessonId ? { lessonId } : {}) }, INSPECTOR_TTL_S, lessonId ?? null, subject);
  }

  /**
   * The lessons an account may ask a token for, live first, then by planned start: a
   * teacher's own, a classroom's, or (an inspector) every lesson that has not ended.
   */
  lessonsFor(scope: { teacherName: string } | { classroomId: string } | { any: true }): JoinableLesson[] {
    const where =
      'teacherName' in scope
        ? 'l.teacher_name = ?'
        : 'classroomId' in scope
          ? 'l.id IN (SELECT lesson_id FROM lesson_classrooms WHERE classroom_id = ?)'
          : '1 = 1';
    const args = 'teacherName' in scope ? [scope.teacherName] : 'classroomId' in scope ? [scope.classroomId] : [];
    const rows = this.db
      .prepare(
        `SELECT l.* FROM lessons l WHERE ${where} AND l.status != 'ended'
         ORDER BY l.status = 'live' DESC, COALESCE(l.planned_start, l.created_at) ASC LIMIT 50`,
      )
      .all(...args) as LessonRow[];
    return rows.map(toLesson).map((l) => ({
      id: l.id,
      title: l.title,
      subject: l.subject,
      status: l.status,
      plannedStart: l.plannedStart,
      plannedEnd: l.plannedEnd,
    }));
  }

  /** The live lesson of the classroom, else its next one that has not yet ended. */
  private currentLesson(classroomId: string): LessonRecord {
    const row = this.db
      .prepare(
        `SELECT l.* FROM lessons l JOIN lesson_classrooms lc ON lc.lesson_id = l.id
         WHERE lc.classroom_id = ? AND (l.status = 'live' OR (l.status = 'scheduled' AND COALESCE(l.planned_end, ?) >= ?))
         ORDER BY l.status = 'live' DESC, COALESCE(l.planned_start, l.created_at) ASC LIMIT 1`,
      )
      .get(classroomId, this.now(), this.now()) as LessonRow | undefined;
    if (!row) throw new AppError('NOT_FOUND', 'no current lesson for this classroom');
    return toLesson(row);
  }
}
