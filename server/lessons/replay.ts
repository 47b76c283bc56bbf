import { z } from 'zod';
import { idSchema } from '../../shared/ids.js';
import { qualityModeSchema } from '../../shared/media.js';
import type { Logger } from '../logger.js';
import type { LessonEvent } from '../store/types.js';
import { sideOf, type Runtime } from './runtime.js';

const counts = z.object({ expected: z.number().int().min(0), present: z.number().int().min(0) });
const questionRef = z.object({ questionId: idSchema });
const quizOpened = z.object({
  quizId: idSchema,
  options: z.number().int().min(2).max(8),
  correctOption: z.number().int().min(0).nullable(),
  question: z.string().optional(),
});
const quizAnswered = z.object({ quizId: idSchema, counts: z.array(z.number().int().min(0)) });
const quizRef = z.object({ quizId: idSchema });
const qualityModeSet = z.object({ mode: qualityModeSchema });

const RESOLUTION = {
  question_answered: 'answered',
  question_deferred: 'deferred',
  question_dismissed: 'dismissed',
} as const;

/**
 * A lesson's working state (head counts, the question queue, the quiz) lives in memory while
 * the durable truth is the log. A server that restarts mid-lesson (an upgrade at lunch, a crash)
 * builds its runtime again by feeding the lesson's log through the same domain objects, in the
 * same order, with the same times: the teacher's wall and every classroom's forms come back as
 * they were, not empty, and a classroom keeps the reception mode it chose (仅音频 on a weak link).
 *
 * What is not rebuilt, on purpose: presence (nobody is connected to a process that just
 * started; pages join again) and the stage (it needs its classrooms online; the teacher invites
 * again). Returns the classrooms the log leaves on stage, so the caller can close that in the log,
 * and since when the log leaves recording on (录播 carries on after a restart).
 *
 * The log is our own file but still input: an event whose data does not parse, or that the
 * domain refuses, is skipped with a warning rather than stopping the lesson from loading.
 */
export function replayLog(
  rt: Runtime,
  events: readonly LessonEvent[],
  questionTexts: ReadonlyMap<string, string>,
  log: Logger,
): { onStage: string[]; recordingSince: number | null } {
  const onStage = new Set<string>();
  let recordingSince: number | null = null;
  for (const e of events) {
    if (e.type === 'recording_started') recordingSince ??= e.at;
    else if (e.type === 'recording_stopped') recordingSince = null;
    try {
      applyEvent(rt, e, questionTexts, onStage);
    } catch (err) {
      log.warn({ seq: e.seq, type: e.type, err: (err as Error).message }, 'log replay skipped an event');
    }
  }
  return { onStage: [...onStage], recordingSince };
}

function classroomOf(e: LessonEvent): string {
  if (e.classroomId === null) throw new Error('event names no classroom');
  return e.classroomId;
}

function applyEvent(rt: Runtime, e: LessonEvent, texts: ReadonlyMap<string, string>, onStage: Set<string>): void {
  switch (e.type) {
    case 'attendance_reported':
    case 'attendance_corrected':
      rt.attendance.report(classroomOf(e), counts.parse(e.data), e.at);
      return;
    case 'question_raised': {
      const { questionId } = questionRef.parse(e.data);
      rt.questions.raise({ questionId, classroomId: classroomOf(e), text: texts.get(questionId) ?? null, raisedAt: e.at });
      return;
    }
    case 'question_withdrawn':
      rt.questions.withdraw(classroomOf(e), questionRef.parse(e.data).questionId);
      return;
    case 'question_answered':
    case 'question_deferred':
    case 'question_dismissed':
      rt.questions.resolve(questionRef.parse(e.data).questionId, RESOLUTION[e.type]);
      return;
    case 'stage_on':
      onStage.add(classroomOf(e));
      return;
    case 'stage_off':
      onStage.delete(classroomOf(e));
      return;
    case 'quiz_opened': {
      const q = quizOpened.parse(e.data);
      rt.quiz.open({ quizId: q.quizId, question: q.question ?? null, options: q.options, correctOption: q.correctOption }, e.at);
      return;
    }
    case 'quiz_answered': {
      const a = quizAnswered.parse(e.data);
      const classroomId = classroomOf(e);
      rt.quiz.answer(a.quizId, classroomId, a.counts, rt.attendance.get(classroomId)?.present ?? null, e.at);
      return;
    }
    case 'quiz_closed':
      rt.quiz.close(quizRef.parse(e.data).quizId, e.at, sideOf(rt));
      return;
    case 'quality_mode_set':
      rt.qualityModes.set(classroomOf(e), qualityModeSet.parse(e.data).mode);
      return;
    default:
      // Lifecycle, presence and media events shape the audit, not the working state.
      return;
  }
}
