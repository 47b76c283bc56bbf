import type { QuizState } from '../../shared/coordination.js';
import { AppError } from '../errors.js';

export type Side = 'city' | 'rural';

interface Quiz {
  quizId: string;
  question: string | null;
  options: number;
  correctOption: number | null;
  openedAt: number;
  closedAt: number | null;
  answers: Map<string, { counts: number[]; at: number }>;
}

type SideFigures = QuizState['total'];

function figures(quiz: Quiz, answers: { counts: number[] }[]): SideFigures {
  const counts = Array.from({ length: quiz.options }, () => 0);
  for (const a of answers) a.counts.forEach((n, i) => (counts[i] = (counts[i] ?? 0) + n));
  const answered = counts.reduce((a, b) => a + b, 0);
  const correctRate =
    quiz.correctOption === null || answered === 0 ? null : (counts[quiz.correctOption] ?? 0) / answered;
  return { counts, answered, correctRate };
}

/**
 * The synchronised quiz (课堂检测): one open at a time; every classroom reports how many
 * of its pupils chose each option; the teacher sees per-classroom, city and rural figures.
 */
export class QuizBoard {
  private quiz: Quiz | null = null;

  open(q: { quizId: string; question: string | null; options: number; correctOption: number | null }, at: number): void {
    if (this.quiz && this.quiz.closedAt === null) throw new AppError('CONFLICT', 'close the open quiz first');
    this.quiz = { ...q, openedAt: at, closedAt: null, answers: new Map() };
  }

  answer(quizId: string, classroomId: string, counts: number[], present: number | null, at: number): void {
    const quiz = this.openQuiz(quizId);
    if (counts.length !== quiz.options) {
      throw new AppError('BAD_REQUEST', `counts must have one number per option (${quiz.options})`);
    }
    if (present === null) throw new AppError('CONFLICT', 'report attendance before answering');
    const sum = counts.reduce((a, b) => a + b, 0);
    if (sum > present) throw new AppError('BAD_REQUEST', `answers (${sum}) exceed present pupils (${present})`);
    quiz.answers.set(classroomId, { counts: [...counts], at });
  }

  close(quizId: string, at: number, sideOf: (classroomId: string) => Side): QuizState {
    const quiz = this.openQuiz(quizId);
    quiz.closedAt = at;
    return this.view(null, sideOf)!;
  }

  /**
   * The quiz as one viewer may see it. While it is open a classroom sees only its own
   * answer and no key, so other rooms' figures cannot sway its pupils.
   */
  view(viewerClassroomId: string | null, sideOf: (classroomId: string) => Side): QuizState | null {
    const quiz = this.quiz;
    if (!quiz) return null;
    const all = [...quiz.answers.entries()].map(([classroomId, a]) => ({ classroomId, ...a }));
    const open = quiz.closedAt === null;
    const base = {
      quizId: quiz.quizId,
      question: quiz.question,
      options: quiz.options,
      status: open ? ('open' as const) : ('closed' as const),
      openedAt: quiz.openedAt,
      closedAt: quiz.closedAt,
    };
    if (viewerClassroomId !== null && open) {
      const keyless = { ...quiz, correctOption: null };
      const own = all.filter((a) => a.classroomId === viewerClassroomId);
      const none = figures(keyless, []);
      return { ...base, correctOption: null, answers: own, total: figures(keyless, own), city: none, rural: none };
    }
    return {
      ...base,
      correctOption: quiz.correctOption,
      answers: all,
      total: figures(quiz, all),
      city: figures(quiz, all.filter((a) => sideOf(a.classroomId) === 'city')),
      rural: figures(quiz, all.filter((a) => sideOf(a.classroomId) === 'rural')),
    };
  }

  private openQuiz(quizId: string): Quiz {
    if (!this.quiz || this.quiz.quizId !== quizId) throw new AppError('NOT_FOUND', 'no such quiz');
    if (this.quiz.closedAt !== null) throw new AppError('CONFLICT', 'the quiz is closed');
    return this.quiz;
  }
}
