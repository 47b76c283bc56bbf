import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attendanceReportSchema, quizOpenSchema } from '../../shared/coordination.js';
import { QuestionQueue } from '../../server/lessons/questionQueue.js';
import { QuizBoard } from '../../server/lessons/quiz.js';
import { Stage } from '../../server/lessons/stage.js';
import { QualityTracker } from '../../server/lessons/quality.js';

type Op =
  | { op: 'raise'; room: number }
  | { op: 'answer' }
  | { op: 'defer' }
  | { op: 'withdraw'; room: number };

const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('raise' as const), room: fc.integer({ min: 0, max: 5 }) }),
    fc.record({ op: fc.constant('answer' as const) }),
    fc.record({ op: fc.constant('defer' as const) }),
    fc.record({ op: fc.constant('withdraw' as const), room: fc.integer({ min: 0, max: 5 }) }),
  ),
  { maxLength: 60 },
);

describe('QuestionQueue fairness (property)', () => {
  it('one entry per classroom; an answered classroom re-queues behind everyone waiting', () => {
    fc.assert(
      fc.property(ops, (sequence: Op[]) => {
        const q = new QuestionQueue();
        let n = 0;
        for (const step of sequence) {
          const list = q.list();
          if (step.op === 'raise') {
            const room = `r${step.room}`;
            const had = list.some((e) => e.classroomId === room);
            try {
              q.raise({ questionId: `q${n++}`, classroomId: room, text: null, raisedAt: n });
              expect(had).toBe(false);
              // A new question always lands at the back.
              expect(q.list().at(-1)?.classroomId).toBe(room);
            } catch {
              expect(had).toBe(true);
            }
          } else if (step.op === 'answer' && list[0]) {
            const waiting = list.slice(1).map((e) => e.classroomId);
            const answered = list[0].classroomId;
            q.resolve(list[0].questionId, 'answered');
            q.raise({ questionId: `q${n++}`, classroomId: answered, text: null, raisedAt: n });
            const after = q.list().map((e) => e.classroomId);
            expect(after).toEqual([...waiting, answered]);
          } else if (step.op === 'defer' && list[0]) {
            q.resolve(list[0].questionId, 'deferred');
            expect(q.list().map((e) => e.classroomId)).toEqual([...list.slice(1), list[0]].map((e) => e.classroomId));
          } else if (step.op === 'withdraw') {
            const mine = list.find((e) => e.classroomId === `r${step.room}`);
            if (mine) q.withdraw(`r${step.room}`, mine.questionId);
          }
          const rooms = q.list().map((e) => e.classroomId);
          expect(new Set(rooms).size).toBe(rooms.length);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('QuizBoard', () => {
  const side = (id: string) => (id === 'city' ? 'city' : 'rural');

  it('computes distributions and correct rates, hiding the key from classrooms while open', () => {
    const b = new QuizBoard();
    b.open({ quizId: 'z', question: null, options: 2, correctOption: 0 }, 1);
    b.answer('z', 'city', [8, 2], 10, 2);
    b.answer('z', 'r1', [3, 3], 6, 2);
    b.answer('z', 'r1', [4, 2], 6, 3); // a correction replaces the earlier answer
    expect(b.view(null, side)).toMatchObject({
      total: { counts: [12, 4], answered: 16, correctRate: 0.75 },
      city: { counts: [8, 2], correctRate: 0.8 },
      rural: { counts: [4, 2], answered: 6 },
    });
    const forRoom = b.view('r1', side)!;
    expect(forRoom.correctOption).toBeNull();
    expect(forRoom.answers.map((a) => a.classroomId)).toEqual(['r1']);
    expect(forRoom.city.answered).toBe(0);
  });

  it('refuses answers beyond the present count, of the wrong length, or without attendance', () => {
    const b = new QuizBoard();
    b.open({ quizId: 'z', question: null, options: 3, correctOption: null }, 1);
    expect(() => b.answer('z', 'r', [1, 1, 1], 2, 1)).toThrow(/exceed/);
    expect(() => b.answer('z', 'r', [1, 1], 9, 1)).toThrow(/one number per option/);
    expect(() => b.answer('z', 'r', [1, 1, 1], null, 1)).toThrow(/attendance/);
    expect(() => b.answer('other', 'r', [1, 1, 1], 9, 1)).toThrow(/no such quiz/);
    expect(b.view(null, side)?.total.correctRate).toBeNull();
  });
});

describe('Stage and quality', () => {
  it('holds at most max classrooms', () => {
    const s = new Stage(1);
    expect(s.invite('a')).toBe(true);
    expect(s.invite('a')).toBe(false);
    expect(() => s.invite('b')).toThrow(/at most 1/);
    expect(s.remove('a')).toBe(true);
    expect(s.invite('b')).toBe(true);
  });

  it('reports one incident per degradation, with hysteresis', () => {
    const q = new QualityTracker();
    expect([9, 3, 2, 5, 3, 8, 9, 1].map((score) => q.record('a', score))).toEqual([
      null,
      'degraded',
      null,
      null,
      null,
      'recovered',
      null,
      'degraded',
    ]);
  });
});

describe('coordination schemas', () => {
  it('bound head counts and quiz shapes', () => {
    expect(attendanceReportSchema.safeParse({ expected: 40, present: 41 }).success).toBe(false);
    expect(attendanceReportSchema.safeParse({ expected: 40, present: 40 }).success).toBe(true);
    expect(quizOpenSchema.safeParse({ options: 4, correctOption: 4 }).success).toBe(false);
    expect(quizOpenSchema.safeParse({ options: 7 }).success).toBe(false);
    expect(quizOpenSchema.safeParse({ options: 2, correctOption: null }).success).toBe(true);
  });
});
