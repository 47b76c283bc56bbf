import type { LessonEvent, LessonRecord } from '../store/types.js';

export interface ClassroomSummary {
  classroomId: string;
  /** Connected while the lesson was live (joined while live, or present at start). */
  online: boolean;
  /** Online while live and, where the log's rule is 'media', its media got through while live. */
  reached: boolean;
  /** Online while live, but the lesson's picture and sound never got through to it. */
  mediaBlocked: boolean;
  /** The last reported or corrected `present` head count; null if never reported. */
  present: number | null;
}

/**
 * How a lesson's log is audited for reach. 'media' (lesson_started says so): a classroom needs
 * a media_received while live. 'presence': logs from before that event existed, where being
 * online while live is all the log can tell.
 */
export type ReachRule = 'presence' | 'media';

export interface LessonSummary {
  lessonId: string;
  reachRule: ReachRule;
  /** Live minutes: ended_at − started_at (downtime after a restart included). 0 unless ended. */
  minutes: number;
  classrooms: ClassroomSummary[];
  /** Distinct quizzes closed. */
  quizzesRun: number;
  /** Quizzes with a correct option and at least one answer: the ones a correct rate exists for. */
  quizzesScored: number;
  /** Σ counts[correct] / Σ counts over the scored quizzes; average = sum / quizzesScored. */
  correctRateSum: number;
  lastSeq: number;
}

const headCount = (v: unknown): number | null =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null;

/**
 * Rebuilds a lesson's audit figures from its log alone, so every number an administrator
 * sees can be recomputed and explained event by event.
 *
 * Online: a classroom was connected at some moment while the lesson was live — it joined while
 * live, or was already present at lesson_started. A restart drops every connection (presence is
 * in memory), so lesson_resumed_after_restart clears presence.
 * Reached: online, and (rule 'media') the lesson's media got through to it while live, so a
 * classroom whose school network blocked the media ports is not counted as taught.
 */
export function summariseLesson(lesson: LessonRecord, events: readonly LessonEvent[]): LessonSummary {
  const present = new Set<string>();
  const online = new Set<string>();
  const received = new Set<string>();
  let reachRule: ReachRule = 'presence';
  let started = false;
  const headCounts = new Map<string, number>();
  const quizzes = new Map<string, { counts: number[]; correct: number | null }>();
  let live = false;
  let lastSeq = 0;

  for (const e of events) {
    lastSeq = Math.max(lastSeq, e.seq);
    switch (e.type) {
      case 'lesson_started':
        if (!started && e.data.reachRule === 'media') reachRule = 'media';
        started = true;
        live = true;
        for (const c of present) online.add(c);
        break;
      case 'lesson_ended':
        live = false;
        break;
      case 'lesson_resumed_after_restart':
        present.clear();
        break;
      case 'classroom_joined':
        if (e.classroomId) {
          present.add(e.classroomId);
          if (live) online.add(e.classroomId);
        }
        break;
      case 'media_received':
        if (e.classroomId && live) received.add(e.classroomId);
        break;
      case 'classroom_left':
        if (e.classroomId) present.delete(e.classroomId);
        break;
      case 'attendance_reported':
      case 'attendance_corrected': {
        const n = headCount(e.data.present);
        if (e.classroomId && n !== null) headCounts.set(e.classroomId, n);
        break;
      }
      case 'quiz_closed': {
        const quizId = typeof e.data.quizId === 'string' ? e.data.quizId : `seq-${e.seq}`;
        const counts = Array.isArray(e.data.counts) ? e.data.counts.map((c) => headCount(c) ?? 0) : [];
        const correct = headCount(e.data.correctOption);
        quizzes.set(quizId, { counts, correct }); // a quiz closed twice counts once, last wins
        break;
      }
      default:
        break;
    }
  }

  let quizzesScored = 0;
  let correctRateSum = 0;
  for (const q of quizzes.values()) {
    const total = q.counts.reduce((a, b) => a + b, 0);
    if (q.correct === null || total === 0) continue;
    quizzesScored += 1;
    correctRateSum += (q.counts[q.correct] ?? 0) / total;
  }

  const ids = new Set([...online, ...headCounts.keys()]);
  const blocked = (c: string) => reachRule === 'media' && online.has(c) && !received.has(c);
  const delivered = lesson.status === 'ended' && lesson.startedAt !== null && lesson.endedAt !== null;
  return {
    lessonId: lesson.id,
    reachRule,
    minutes: delivered ? Math.max(0, (lesson.endedAt! - lesson.startedAt!) / 60_000) : 0,
    classrooms: [...ids].sort().map((classroomId) => ({
      classroomId,
      online: online.has(classroomId),
      reached: online.has(classroomId) && !blocked(classroomId),
      mediaBlocked: blocked(classroomId),
      present: headCounts.get(classroomId) ?? null,
    })),
    quizzesRun: quizzes.size,
    quizzesScored,
    correctRateSum,
    lastSeq,
  };
}
