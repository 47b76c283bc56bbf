import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LessonState } from '../../shared/lesson.js';
import { audioRtpParameters, videoRtpParameters } from '../helpers/rtp.js';
import { call, classroomGrant, ok, startTestServer, teacherGrant, type ClientSocket, type TestServer } from '../helpers/server.js';

const A = 'demo-recv-1';
const B = 'demo-recv-2';
const C = 'demo-recv-3';

describe('classroom coordination', () => {
  let ts: TestServer;
  let teacher: ClientSocket;
  let rooms: Record<string, ClientSocket>;

  beforeEach(async () => {
    ts = await startTestServer({ TONGKE_MAX_ON_STAGE: '2' });
    teacher = await ts.connect(teacherGrant(ts.lesson.id));
    rooms = {};
    for (const id of [A, B, C]) rooms[id] = await ts.connect(classroomGrant(ts.lesson.id, id));
    await ok(teacher, 'lesson:start', {});
  });
  afterEach(async () => {
    await ts.close();
  });

  const room = (id: string) => rooms[id]!;
  const events = () => ts.server.store.listEvents(ts.lesson.id);
  const sync = (s: ClientSocket) => ok(s, 'lesson:sync', {});

  describe('attendance', () => {
    it('records expected/present per classroom, corrections, and the total', async () => {
      await ok(room(A), 'attendance:report', { expected: 42, present: 40 });
      await ok(room(B), 'attendance:report', { expected: 35, present: 35 });
      await ok(room(A), 'attendance:report', { expected: 42, present: 41 });
      await ok(teacher, 'attendance:report', { expected: 45, present: 45 }); // the lecture classroom
      const s = await sync(teacher);
      expect(s.classrooms.find((c) => c.classroomId === A)?.attendance).toMatchObject({ expected: 42, present: 41 });
      expect(s.presentTotal).toBe(76);
      expect(s.lectureClassroom.attendance).toMatchObject({ present: 45 });
      expect(events().filter((e) => e.type.startsWith('attendance')).map((e) => [e.type, e.classroomId, e.data])).toEqual([
        ['attendance_reported', A, { expected: 42, present: 40 }],
        ['attendance_reported', B, { expected: 35, present: 35 }],
        ['attendance_corrected', A, { expected: 42, present: 41 }],
        ['attendance_reported', 'demo-lecture', { expected: 45, present: 45 }],
      ]);
    });

    it('refuses impossible head counts and changes nothing', async () => {
      for (const bad of [
        { expected: 30, present: 31 },
        { expected: 0, present: 0 },
        { expected: 30.5, present: 3 },
        { expected: 9999, present: 1 },
        { expected: -1, present: 0 },
        { expected: '30', present: 3 },
      ]) {
        expect(await call(room(A), 'attendance:report', bad)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      }
      expect((await sync(teacher)).presentTotal).toBe(0);
      expect(events().some((e) => e.type.startsWith('attendance'))).toBe(false);
    });
  });

  describe('question queue', () => {
    const order = async () => (await sync(teacher)).questions.map((q) => q.classroomId);

    it('is first come first served, one per classroom, and an answered classroom goes behind the waiting ones', async () => {
      const qa = (await ok(room(A), 'question:raise', { text: '分母是什么意思？' })).questionId;
      await ok(room(B), 'question:raise', {});
      await ok(room(C), 'question:raise', { text: '  能再讲一遍吗  ' });
      expect(await order()).toEqual([A, B, C]);
      expect(await call(room(A), 'question:raise', {})).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });

      await ok(teacher, 'question:resolve', { questionId: qa, resolution: 'answered' });
      await ok(room(A), 'question:raise', {});
      expect(await order()).toEqual([B, C, A]);

      const qb = (await sync(teacher)).questions[0]!.questionId;
      await ok(teacher, 'question:resolve', { questionId: qb, resolution: 'deferred' });
      const s = await sync(teacher);
      expect(s.questions.map((q) => q.classroomId)).toEqual([C, A, B]);
      expect(s.questions[2]?.deferred).toBe(true);
      expect(s.questions[0]?.text).toBe('能再讲一遍吗');
      expect(s.classrooms.filter((c) => c.handRaised).length).toBe(3);
    });

    it('lets only the asking classroom withdraw, and only the teacher resolve', async () => {
      const { questionId } = await ok(room(A), 'question:raise', {});
      expect(await call(room(B), 'question:withdraw', { questionId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect(await call(room(A), 'question:resolve', { questionId, resolution: 'answered' })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
      expect(await call(teacher, 'question:raise', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      await ok(room(A), 'question:withdraw', { questionId });
      expect((await sync(teacher)).questions).toEqual([]);
      expect(await call(teacher, 'question:resolve', { questionId, resolution: 'answered' })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
    });

    it('keeps question text out of the log and bounded in length', async () => {
      expect(await call(room(A), 'question:raise', { text: '问'.repeat(141) })).toMatchObject({
        ok: false,
        error: { code: 'BAD_REQUEST' },
      });
      const { questionId } = await ok(room(A), 'question:raise', { text: '<script>alert(1)</script>' });
      const raised = events().find((e) => e.type === 'question_raised');
      expect(raised?.data).toEqual({ questionId, hasText: true });
      const stored = ts.server.store.db.prepare('SELECT text FROM question_texts WHERE question_id = ?').pluck().get(questionId);
      expect(stored).toBe('<script>alert(1)</script>');
    });
  });

  describe('stage', () => {
    async function publishCamera(s: ClientSocket, ssrc: number) {
      const t = await ok(s, 'media:createTransport', { direction: 'send' });
      const cam = await ok(s, 'media:produce', { transportId: t.id, kind: 'video', source: 'camera', rtpParameters: videoRtpParameters(ssrc) });
      const mic = await ok(s, 'media:produce', { transportId: t.id, kind: 'audio', source: 'microphone', rtpParameters: audioRtpParameters(ssrc + 1) });
      return { cam: cam.producerId, mic: mic.producerId };
    }
    async function consume(s: ClientSocket, producerId: string) {
      const { rtpCapabilities } = await ok(s, 'media:getRouterRtpCapabilities', {});
      const t = await ok(s, 'media:createTransport', { direction: 'recv' });
      return call(s, 'media:consume', { transportId: t.id, producerId, rtpCapabilities });
    }
    const micPaused = async (micId: string) => (await ts.server.service.media(ts.lesson.id)).isProducerPaused(micId);

    it('brings a classroom on stage: its mic opens and other classrooms may receive it; off stage reverses it', async () => {
      const a = await publishCamera(room(A), 3000);
      expect(await micPaused(a.mic)).toBe(true); // muted by default
      // The teacher always sees the classroom; other classrooms only while it is on stage.
      expect((await consume(teacher, a.cam)).ok).toBe(true);
      expect(await consume(room(B), a.cam)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

      await ok(teacher, 'stage:invite', { classroomId: A });
      expect(await micPaused(a.mic)).toBe(false);
      const s = await sync(room(B));
      expect(s.stage.classroomIds).toEqual([A]);
      expect(s.classrooms.find((c) => c.classroomId === A)?.onStage).toBe(true);
      const consumed = await consume(room(B), a.cam);
      expect(consumed.ok).toBe(true);
      expect(await consume(room(A), a.cam)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } }); // never itself

      const closed = new Promise((resolve) => room(B).once('media:consumerClosed', resolve));
      await ok(teacher, 'stage:remove', { classroomId: A });
      expect(await closed).toEqual({ consumerId: consumed.ok ? consumed.data.consumerId : '' });
      expect(await micPaused(a.mic)).toBe(true);
      expect(events().filter((e) => e.type.startsWith('stage')).map((e) => [e.type, e.classroomId])).toEqual([
        ['stage_on', A],
        ['stage_off', A],
      ]);
    });

    it('enforces who decides, the configured maximum, and presence', async () => {
      expect(await call(room(A), 'stage:invite', { classroomId: A })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      await ok(teacher, 'stage:invite', { classroomId: A });
      await ok(teacher, 'stage:invite', { classroomId: B });
      expect(await call(teacher, 'stage:invite', { classroomId: C })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
      room(B).disconnect();
      await new Promise((r) => setTimeout(r, 100));
      expect((await sync(teacher)).stage.classroomIds).toEqual([A]);
      expect(await call(teacher, 'stage:invite', { classroomId: B })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
      expect(await call(teacher, 'stage:invite', { classroomId: 'nowhere' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    });
  });

  describe('quiz', () => {
    it('runs a synchronised quiz with per-classroom, city and rural figures', async () => {
      expect(await call(room(A), 'quiz:open', { options: 4 })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      const { quizId } = await ok(teacher, 'quiz:open', { question: '1/2 和 2/4 哪个大？', options: 3, correctOption: 2 });
      expect(await call(teacher, 'quiz:open', { options: 2 })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });

      expect(await call(room(A), 'quiz:answer', { quizId, counts: [1, 2, 3] })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
      await ok(room(A), 'attendance:report', { expected: 40, present: 30 });
      await ok(room(B), 'attendance:report', { expected: 30, present: 20 });
      await ok(teacher, 'attendance:report', { expected: 45, present: 45 });
      expect(await call(room(A), 'quiz:answer', { quizId, counts: [10, 10, 11] })).toMatchObject({
        ok: false,
        error: { code: 'BAD_REQUEST' },
      });
      expect(await call(room(A), 'quiz:answer', { quizId, counts: [1, 2] })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      await ok(room(A), 'quiz:answer', { quizId, counts: [5, 10, 15] });
      await ok(room(B), 'quiz:answer', { quizId, counts: [5, 5, 10] });
      await ok(teacher, 'quiz:answer', { quizId, counts: [0, 5, 40] });

      // A classroom sees its own answer and no key while the quiz is open.
      const seenByA = (await sync(room(A))).quiz!;
      expect(seenByA.correctOption).toBeNull();
      expect(seenByA.answers.map((a) => a.classroomId)).toEqual([A]);

      const t = (await sync(teacher)).quiz!;
      expect(t.total).toEqual({ counts: [10, 20, 65], answered: 95, correctRate: 65 / 95 });
      expect(t.city).toEqual({ counts: [0, 5, 40], answered: 45, correctRate: 40 / 45 });
      expect(t.rural).toEqual({ counts: [10, 15, 25], answered: 50, correctRate: 25 / 50 });

      await ok(teacher, 'quiz:close', { quizId });
      expect(await call(room(C), 'quiz:answer', { quizId, counts: [0, 0, 0] })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
      const closedForA = (await sync(room(A))).quiz!;
      expect(closedForA).toMatchObject({ status: 'closed', correctOption: 2 });
      const logged = events().find((e) => e.type === 'quiz_closed');
      expect(logged?.data).toEqual({ quizId, counts: [10, 20, 65], correctOption: 2, city: [0, 5, 40], rural: [10, 15, 25] });
    });
  });

  it('keeps a teacher of lesson A off lesson B', async () => {
    ts.server.store.upsertClassroom({ id: 'other-recv', schoolId: 'demo-rural-2', name: '五年级一班', kind: 'receiving' });
    ts.server.store.createLesson(
      { id: 'lesson-b', title: 'B', subject: '语文', teacherName: '王老师', lectureClassroomId: 'demo-lecture', receivingClassroomIds: ['other-recv'] },
      Date.now(),
    );
    const other = await ts.connect(classroomGrant('lesson-b', 'other-recv'));
    expect(await call(teacher, 'stage:invite', { classroomId: 'other-recv' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const { questionId } = await ok(room(A), 'question:raise', {});
    expect(await call(other, 'question:withdraw', { questionId })).toMatchObject({ ok: false });
    expect((await sync(teacher)).questions).toHaveLength(1);
  });

  it('gives a reconnecting classroom the full state: queue, stage, quiz, attendance', async () => {
    await ok(room(A), 'attendance:report', { expected: 40, present: 38 });
    await ok(room(B), 'question:raise', { text: '请问' });
    await ok(teacher, 'stage:invite', { classroomId: B });
    const { quizId } = await ok(teacher, 'quiz:open', { options: 2 });
    room(A).disconnect();
    const again = await ts.connect(classroomGrant(ts.lesson.id, A));
    const s: LessonState = await sync(again);
    expect(s.classrooms.find((c) => c.classroomId === A)?.attendance?.present).toBe(38);
    expect(s.questions.map((q) => q.classroomId)).toEqual([B]);
    expect(s.stage.classroomIds).toEqual([B]);
    expect(s.quiz).toMatchObject({ quizId, status: 'open' });
    expect(s.viewer).toEqual({ role: 'assistant', classroomId: A, qualityMode: 'auto', serverLayerCap: null });
  });

  it('closes an open quiz when the lesson ends and refuses coordination after', async () => {
    const { quizId } = await ok(teacher, 'quiz:open', { options: 2 });
    await ok(teacher, 'lesson:end', {});
    expect(events().map((e) => e.type)).toContain('quiz_closed');
    expect(await call(room(A), 'question:raise', {})).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(await call(room(A), 'attendance:report', { expected: 3, present: 3 })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect((await sync(room(A))).quiz).toMatchObject({ quizId, status: 'closed' });
  });
});
