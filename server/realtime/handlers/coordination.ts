import type { LessonService } from '../../lessons/lessonService.js';
import { classroomOf, lessonOf } from '../participant.js';
import type { Handlers } from '../register.js';

type CoordinationEvents =
  | 'attendance:report'
  | 'question:raise'
  | 'question:withdraw'
  | 'question:resolve'
  | 'stage:invite'
  | 'stage:remove'
  | 'quiz:open'
  | 'quiz:answer'
  | 'quiz:close';

/** Attendance, questions, stage and quiz: each a thin call into the lesson domain. */
export function coordinationHandlers(service: LessonService): Pick<Handlers, CoordinationEvents> {
  return {
    'attendance:report': ({ grant }, counts) => {
      const { lessonId, participant } = lessonOf(grant);
      service.reportAttendance(lessonId, participant, counts);
      return {};
    },
    'question:raise': ({ grant }, { text }) => {
      const { lessonId, classroomId } = classroomOf(grant);
      return { questionId: service.raiseQuestion(lessonId, classroomId, text) };
    },
    'question:withdraw': ({ grant }, { questionId }) => {
      const { lessonId, classroomId } = classroomOf(grant);
      service.withdrawQuestion(lessonId, classroomId, questionId);
      return {};
    },
    'question:resolve': ({ grant }, { questionId, resolution }) => {
      service.resolveQuestion(lessonOf(grant).lessonId, questionId, resolution);
      return {};
    },
    'stage:invite': async ({ grant }, { classroomId }) => {
      await service.inviteToStage(lessonOf(grant).lessonId, classroomId);
      return {};
    },
    'stage:remove': async ({ grant }, { classroomId }) => {
      await service.removeFromStage(lessonOf(grant).lessonId, classroomId);
      return {};
    },
    'quiz:open': ({ grant }, quiz) => ({ quizId: service.openQuiz(lessonOf(grant).lessonId, quiz) }),
    'quiz:answer': ({ grant }, { quizId, counts }) => {
      const { lessonId, participant } = lessonOf(grant);
      service.answerQuiz(lessonId, participant, quizId, counts);
      return {};
    },
    'quiz:close': ({ grant }, { quizId }) => {
      service.closeQuiz(lessonOf(grant).lessonId, quizId);
      return {};
    },
  };
}
