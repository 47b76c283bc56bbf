import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LessonState } from '../../shared/lesson.js';
import { LessonService, type Participant } from '../../server/lessons/lessonService.js';
import { createLogger } from '../../server/logger.js';
import { seedDemo } from '../../server/store/demoSeed.js';
import type { DiskRoom } from '../../server/store/diskRoom.js';
import { RecordingStore } from '../../server/store/recordingStore.js';
import { SqliteStore } from '../../server/store/sqliteStore.js';
import type { LessonRecord } from '../../server/store/types.js';

const log = createLogger('silent');
const teacher: Participant = { kind: 'teacher' };
const room = (classroomId: string): Participant => ({ kind: 'classroom', classroomId });
const ROOMS = ['demo-recv-1', 'demo-recv-2', 'demo-recv-3'];

/** A service on the store, as a freshly started process has one: nothing in memory. */
const serviceOn = (store: SqliteStore) =>
  new LessonService(store, () => Promise.reject(new Error('these steps need no media')), log);

/** Everything of a lesson's working state one viewer sees, leaving out who is online now. */
function workingState(s: LessonState) {
  return {
    lecture: s.lectureClassroom.attendance,
    rooms: s.classrooms.map((c) => ({ id: c.classroomId, attendance: c.attendance, handRaised: c.handRaised })),
    presentTotal: s.presentTotal,
    questions: s.questions,
    quiz: s.quiz,
    mode: s.viewer.qualityMode,
  };
}

const viewers = (): [string, Participant][] => [['teacher', teacher], ...ROOMS.map((id): [string, Participant] => [id, room(id)])];

describe('a restarted server rebuilds a lesson from its log (server/lessons/replay.ts)', () => {
  let dir: string;
  let store: SqliteStore;
  let lesson: LessonRecord;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tongke-replay-'));
    store = new SqliteStore(path.join(dir, 'tongke.sqlite'));
    lesson = seedDemo(store);
    // Live without media: these steps are coordination only.
    store.transitionLesson(lesson.id, 'scheduled', 'live', { type: 'lesson_started', at: Date.now(), data: { reachRule: 'media' } });
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives every viewer the same head counts, question queue and quiz as before, and the lesson carries on', async () => {
    const first = serviceOn(store);
    const id = lesson.id;
    first.join(id, teacher, 'peer-teacher');
    for (const r of ROOMS) first.join(id, room(r), `peer-${r}`);

    first.reportAttendance(id, room('demo-recv-1'), { expected: 40, present: 38 });
    first.reportAttendance(id, room('demo-recv-1'), { expected: 40, present: 37 });
    first.reportAttendance(id, room('demo-recv-2'), { expected: 35, present: 35 });
    first.reportAttendance(id, teacher, { expected: 45, present: 44 });

    const q1 = first.raiseQuestion(id, 'demo-recv-1', '分数怎么比大小？');
    const q2 = first.raiseQuestion(id, 'demo-recv-2', undefined);
    const q3 = first.raiseQuestion(id, 'demo-recv-3', '老师，听不清');
    first.resolveQuestion(id, q1, 'deferred');
    first.resolveQuestion(id, q2, 'answered');
    const q4 = first.raiseQuestion(id, 'demo-recv-2', '还有一个问题');
    first.withdrawQuestion(id, 'demo-recv-3', q3);

    const quiz1 = first.openQuiz(id, { question: '3/4 和 2/3 哪个大？', options: 2, correctOption: 0 });
    first.answerQuiz(id, room('demo-recv-1'), quiz1, [30, 7]);
    first.answerQuiz(id, teacher, quiz1, [40, 4]);
    first.closeQuiz(id, quiz1);
    const quiz2 = first.openQuiz(id, { question: '选出正确的等式', options: 3 });
    first.answerQuiz(id, room('demo-recv-1'), quiz2, [10, 20, 7]);
    first.answerQuiz(id, room('demo-recv-1'), quiz2, [10, 21, 6]);

    await first.inviteToStage(id, 'demo-recv-2');
    // A classroom on a weak link chose 仅音频; another tried 流畅 and went back to 自动.
    await first.setQualityMode(id, room('demo-recv-3'), 'peer-demo-recv-3', 'audio');
    await first.setQualityMode(id, room('demo-recv-1'), 'peer-demo-recv-1', 'smooth');
    await first.setQualityMode(id, room('demo-recv-1'), 'peer-demo-recv-1', 'auto');
    const before = new Map(viewers().map(([name, v]) => [name, workingState(first.state(id, v))]));
    expect(before.get('teacher')!.questions.map((q) => q.questionId)).toEqual([q1, q4]);

    // The process stops without a goodbye: a new one on the same database.
    const second = serviceOn(store);
    for (const [name, v] of viewers()) expect(workingState(second.state(id, v)), name).toEqual(before.get(name));
    const teacherView = second.state(id, teacher);
    expect(teacherView.questions.map((q) => [q.questionId, q.text, q.deferred])).toEqual([
      [q1, '分数怎么比大小？', true],
      [q4, '还有一个问题', false],
    ]);
    expect(teacherView.quiz).toMatchObject({ quizId: quiz2, status: 'open', question: '选出正确的等式' });
    expect(second.state(id, room('demo-recv-3')).viewer.qualityMode).toBe('audio');
    expect(second.state(id, room('demo-recv-1')).viewer.qualityMode).toBe('auto');
    // Nobody is online in a process that just started, so nobody is on stage; the log says when it ended.
    expect(teacherView.stage.classroomIds).toEqual([]);
    expect(teacherView.classrooms.every((c) => !c.online)).toBe(true);
    expect(store.listEvents(id).at(-1)).toMatchObject({ type: 'stage_off', classroomId: 'demo-recv-2', data: { reason: 'restart' } });

    // The lesson carries on where it was: the open quiz takes answers, the deferred question is taken.
    second.join(id, room('demo-recv-2'), 'peer-back');
    second.answerQuiz(id, room('demo-recv-2'), quiz2, [5, 25, 5]);
    second.resolveQuestion(id, q1, 'answered');
    second.closeQuiz(id, quiz2);
    const after = second.state(id, teacher);
    expect(after.questions.map((q) => q.questionId)).toEqual([q4]);
    expect(after.quiz).toMatchObject({ quizId: quiz2, status: 'closed', total: { counts: [15, 46, 11], answered: 72 } });

    // Loading it a third time adds nothing more to the log.
    const events = store.listEvents(id).length;
    serviceOn(store).state(id, teacher);
    expect(store.listEvents(id)).toHaveLength(events);
  });

  it('keeps recording on across a restart, unless the disk ran short of room meanwhile', async () => {
    const id = lesson.id;
    let enough = true;
    const room: DiskRoom = { freeBytes: () => (enough ? 8e9 : 1e6), minFreeBytes: 2e9, enough: () => enough };
    // No media here, so no segment is ever written: what is checked is whether recording is on.
    const withRecording = () =>
      new LessonService(store, () => Promise.reject(new Error('these steps need no media')), log, {
        maxOnStage: 2,
        recordings: { dir: path.join(dir, 'recordings'), store: new RecordingStore(store.db), room },
      });
    const first = withRecording();
    first.join(id, teacher, 'peer-teacher');
    first.startRecording(id);
    const since = first.state(id, teacher).recording.since;
    expect(first.state(id, teacher).recording).toMatchObject({ active: true, halted: null });
    await first.finishRecordings();

    const second = withRecording();
    expect(second.state(id, teacher).recording).toEqual({ active: true, since, writing: false, halted: null });
    await second.finishRecordings();

    enough = false;
    const third = withRecording();
    // As the broadcaster does: every change is read back at once (this once recursed).
    const seen: unknown[] = [];
    third.on('stateChanged', (lessonId) => seen.push(third.state(lessonId, teacher).recording));
    expect(third.state(id, teacher).recording).toEqual({ active: false, since: null, writing: false, halted: 'storage_full' });
    expect(store.listEvents(id).filter((e) => e.type.startsWith('recording_')).map((e) => [e.type, e.data.reason])).toEqual([
      ['recording_started', undefined],
      ['recording_stopped', 'storage_full'],
    ]);
    expect(seen).toEqual([{ active: false, since: null, writing: false, halted: 'storage_full' }]);
    await third.finishRecordings();
  });

  it('skips an event it cannot read and loads the rest', () => {
    const id = lesson.id;
    const at = Date.now();
    store.appendEvent({ lessonId: id, at, type: 'attendance_reported', classroomId: 'demo-recv-1', data: { expected: 40, present: 30 } });
    // Written by hand or by a bug: no counts, no classroom, a question never raised.
    store.appendEvent({ lessonId: id, at, type: 'attendance_corrected', classroomId: 'demo-recv-1', data: { expected: 'forty' } });
    store.appendEvent({ lessonId: id, at, type: 'attendance_reported', classroomId: null, data: { expected: 9, present: 9 } });
    store.appendEvent({ lessonId: id, at, type: 'question_answered', classroomId: 'demo-recv-2', data: { questionId: 'q-nowhere' } });
    store.appendEvent({ lessonId: id, at, type: 'attendance_reported', classroomId: 'demo-recv-2', data: { expected: 20, present: 19 } });

    const s = serviceOn(store).state(id, teacher);
    expect(s.classrooms.find((c) => c.classroomId === 'demo-recv-1')?.attendance).toMatchObject({ expected: 40, present: 30 });
    expect(s.classrooms.find((c) => c.classroomId === 'demo-recv-2')?.attendance).toMatchObject({ expected: 20, present: 19 });
    expect(s.presentTotal).toBe(49);
    expect(s.questions).toEqual([]);
  });
});
