import type { Question } from '../../shared/coordination.js';
import { AppError } from '../errors.js';

export type Resolution = 'answered' | 'deferred' | 'dismissed';

/**
 * The raised hands of a lesson, in the order the teacher should take them.
 * Fairness: one open question per classroom; first come, first served; a deferred
 * question goes to the back; a classroom whose question was just answered can only
 * queue again at the back, behind every classroom still waiting.
 */
export class QuestionQueue {
  private entries: Question[] = [];

  raise(question: Omit<Question, 'deferred'>): Question {
    if (this.entries.some((q) => q.classroomId === question.classroomId)) {
      throw new AppError('CONFLICT', 'this classroom already has a question waiting');
    }
    const entry = { ...question, deferred: false };
    this.entries.push(entry);
    return entry;
  }

  /** The assistant takes the classroom's own question back. */
  withdraw(classroomId: string, questionId: string): Question {
    const q = this.find(questionId);
    if (q.classroomId !== classroomId) throw new AppError('FORBIDDEN', 'not this classroom’s question');
    this.entries = this.entries.filter((e) => e !== q);
    return q;
  }

  resolve(questionId: string, resolution: Resolution): Question {
    const q = this.find(questionId);
    this.entries = this.entries.filter((e) => e !== q);
    if (resolution === 'deferred') {
      q.deferred = true;
      this.entries.push(q);
    }
    return q;
  }

  hasOpen(classroomId: string): boolean {
    return this.entries.some((q) => q.classroomId === classroomId);
  }

  list(): Question[] {
    return this.entries.map((q) => ({ ...q }));
  }

  private find(questionId: string): Question {
    const q = this.entries.find((e) => e.questionId === questionId);
    if (!q) throw new AppError('NOT_FOUND', 'no such open question');
    return q;
  }
}
