import type { LessonStatus } from '../../shared/lesson.js';

export type CommunityType = 'assistance' | 'alliance' | 'group';
export type Area = 'urban' | 'rural';
export type ClassroomKind = 'lecture' | 'receiving';

export interface Community {
  id: string;
  name: string;
  type: CommunityType;
  coreSchoolId: string | null;
}
export interface School {
  id: string;
  communityId: string;
  name: string;
  district: string;
  area: Area;
}
export interface Classroom {
  id: string;
  schoolId: string;
  name: string;
  kind: ClassroomKind;
}
export interface ClassroomWithSchool extends Classroom {
  schoolName: string;
  area: Area;
}
/** A timetable entry: a lesson with planned_start/planned_end set (status 'scheduled' until taught). */
export interface PlannedLesson extends NewLesson {
  grade: string;
  plannedStart: number;
  plannedEnd: number;
}
export interface TimetableEntry extends LessonRecord {
  receivingClassroomIds: string[];
}
export interface LessonRecord {
  id: string;
  title: string;
  subject: string;
  /** Year group, e.g. '三年级'; '' when unknown (lessons created before the timetable). */
  grade: string;
  teacherName: string;
  lectureClassroomId: string;
  plannedStart: number | null;
  plannedEnd: number | null;
  status: LessonStatus;
  startedAt: number | null;
  endedAt: number | null;
  createdAt: number;
}

/**
 * What the append-only lesson log records; a restarted server rebuilds a lesson's working state
 * from it (server/lessons/replay.ts). Head counts only: never a pupil's name.
 * `data` by type (audit queries rely on these shapes):
 *   attendance_reported / attendance_corrected: { expected: number, present: number }
 *   question_raised: { questionId: string, hasText: boolean }  (the text itself lives in the
 *     purgeable question_texts table, so the log stays immutable)
 *   question_answered / _deferred / _dismissed / _withdrawn: { questionId: string }
 *   stage_on: {}  (classroomId says who)
 *   stage_off: { reason?: 'teacher' | 'left' | 'restart' }  ('restart': the process that put it
 *     on stage died; logged when the lesson is loaded again)
 *   quiz_opened: { quizId, options: number, correctOption: number | null, question?: string }
 *     (the teacher's question, since this version: a restart shows it again)
 *   quiz_answered: { quizId, counts: number[] }  (per option, this classroom; latest wins)
 *   quiz_closed: { quizId, counts: number[], correctOption: number | null }  (totals)
 *   media_quality_incident: { kind: string, score?: number }
 *   media_received: {}  (a classroom's receiving transport connected: the lesson's picture and
 *     sound got through to it; once per classroom per presence)
 *   quality_mode_set: { mode: 'auto' | 'high' | 'smooth' | 'audio' }  (a classroom's reception
 *     choice, 自动/高清/流畅/仅音频: a restart keeps a weak classroom on 仅音频)
 *   recording_started: {}  (the teacher turned 录播 on; the segment files are in recordings)
 *   recording_stopped: { reason: 'teacher' | 'lesson_ended' | 'storage_full' }
 *   lesson_started: { reachRule?: 'media' }  ('media': reach counts only classrooms with a
 *     media_received; lessons logged before that event existed carry no rule and are audited
 *     by presence alone)
 */
export const LESSON_EVENT_TYPES = [
  'lesson_started',
  'lesson_ended',
  'lesson_resumed_after_restart',
  'teacher_joined',
  'teacher_left',
  'classroom_joined',
  'classroom_left',
  'attendance_reported',
  'attendance_corrected',
  'question_raised',
  'question_answered',
  'question_deferred',
  'question_dismissed',
  'question_withdrawn',
  'stage_on',
  'stage_off',
  'quiz_opened',
  'quiz_answered',
  'quiz_closed',
  'media_quality_incident',
  'media_received',
  'quality_mode_set',
  'recording_started',
  'recording_stopped',
] as const;
export type LessonEventType = (typeof LESSON_EVENT_TYPES)[number];

export interface LessonEvent {
  seq: number;
  lessonId: string;
  at: number;
  type: LessonEventType;
  classroomId: string | null;
  data: Record<string, unknown>;
}

export interface NewLesson {
  id: string;
  title: string;
  subject: string;
  grade?: string;
  teacherName: string;
  lectureClassroomId: string;
  receivingClassroomIds: string[];
  plannedStart?: number | null;
  plannedEnd?: number | null;
}

/**
 * Persistence behind an interface: SQLite is the embedded default; a PostgreSQL
 * implementation can serve several nodes later without touching the domain.
 */
export interface Store {
  upsertCommunity(c: Community): void;
  upsertSchool(s: School): void;
  upsertClassroom(c: Classroom): void;
  getClassroom(id: string): ClassroomWithSchool | null;
  createLesson(l: NewLesson, now: number): LessonRecord;
  getLesson(id: string): LessonRecord | null;
  listLessons(filter?: { status?: LessonStatus; limit?: number }): LessonRecord[];
  lessonClassrooms(lessonId: string): ClassroomWithSchool[];
  /** Moves a lesson to a new status and logs the event, atomically. */
  transitionLesson(
    id: string,
    from: LessonStatus,
    to: LessonStatus,
    event: { type: LessonEventType; at: number; data?: Record<string, unknown> },
  ): LessonRecord;
  appendEvent(e: Omit<LessonEvent, 'seq'>): LessonEvent;
  /** Logs a raised question and keeps its text apart (purgeable), in one transaction. */
  appendQuestion(e: Omit<LessonEvent, 'seq'>, text: string | null): LessonEvent;
  listEvents(lessonId: string): LessonEvent[];
  /** The texts of a lesson's raised questions still kept (not yet purged), by question id. */
  questionTexts(lessonId: string): Map<string, string>;

  getCommunity(id: string): Community | null;
  getSchool(id: string): School | null;
  listCommunities(): Community[];
  listSchools(filter?: { communityId?: string }): School[];
  listClassrooms(filter?: { schoolId?: string }): ClassroomWithSchool[];
  /** Planned lessons whose planned start lies in [from, to), by planned start. */
  listTimetable(range: { from: number; to: number }): TimetableEntry[];
  /**
   * Creates or replaces a timetable entry and its receiving classrooms, atomically.
   * Only a lesson still 'scheduled' may be replaced (CONFLICT otherwise).
   */
  savePlannedLesson(l: PlannedLesson, now: number): { lesson: LessonRecord; created: boolean };
  /** A lesson in this lecture classroom whose plan overlaps [start, end), other than exceptId. */
  findOverlappingLesson(lectureClassroomId: string, start: number, end: number, exceptId: string): string | null;
  /** Recomputes the derived summaries of ended lessons from the log; returns how many. */
  rebuildSummaries(filter?: { onlyMissing?: boolean }): number;
  /** Deletes question texts created before `before` (ms); the log's counts stay. */
  purgeQuestionTexts(before: number): number;
  close(): void;
}
