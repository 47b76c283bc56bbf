import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LessonState } from '../../shared/lesson.js';
import { audioRtpParameters, videoRtpParameters } from '../helpers/rtp.js';
import { teacherPublishing } from '../helpers/publishing.js';
import { call, classroomGrant, ok, startTestServer, teacherGrant, type ClientSocket, type TestServer } from '../helpers/server.js';

function nextState(socket: ClientSocket, pred: (s: LessonState) => boolean): Promise<LessonState> {
  return new Promise((resolve) => {
    const on = (s: LessonState) => {
      if (!pred(s)) return;
      socket.off('lesson:state', on);
      resolve(s);
    };
    socket.on('lesson:state', on);
  });
}

describe('lesson lifecycle and media signalling', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer();
  });
  afterEach(async () => {
    await ts.close();
  });

  it('runs scheduled → live → ended, broadcasting state and logging every step', async () => {
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    const room = await ts.connect(classroomGrant(ts.lesson.id));
    const initial = await ok(room, 'lesson:sync', {});
    expect(initial.status).toBe('scheduled');
    expect(initial.teacherOnline).toBe(true);
    expect(initial.classrooms.find((c) => c.classroomId === 'demo-recv-1')?.online).toBe(true);

    const live = nextState(room, (s) => s.status === 'live');
    const started = await ok(teacher, 'lesson:start', {});
    expect(started.status).toBe('live');
    expect((await live).startedAt).toBeTypeOf('number');

    const again = await call(teacher, 'lesson:start', {});
    expect(again).toEqual({ ok: false, error: { code: 'CONFLICT', message: 'lesson is already live' } });

    const ended = nextState(room, (s) => s.status === 'ended');
    await ok(teacher, 'lesson:end', {});
    expect((await ended).endedAt).toBeTypeOf('number');
    expect(await call(teacher, 'media:createTransport', { direction: 'send' })).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT' },
    });

    const types = ts.server.store.listEvents(ts.lesson.id).map((e) => e.type);
    expect(types).toEqual(['teacher_joined', 'classroom_joined', 'lesson_started', 'lesson_ended']);
    expect(ts.server.store.getLesson(ts.lesson.id)?.status).toBe('ended');
  });

  it('a classroom may not start or end the lesson, nor share a screen', async () => {
    const room = await ts.connect(classroomGrant(ts.lesson.id));
    for (const event of ['lesson:start', 'lesson:end'] as const) {
      expect(await call(room, event, {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    await ok(teacher, 'lesson:start', {});
    const t = await ok(room, 'media:createTransport', { direction: 'send' });
    const produce = await call(room, 'media:produce', {
      transportId: t.id,
      kind: 'video',
      source: 'screen',
      rtpParameters: videoRtpParameters(),
    });
    expect(produce).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // Its own low-resolution camera is allowed (the classroom wall).
    const camera = await call(room, 'media:produce', {
      transportId: t.id,
      kind: 'video',
      source: 'camera',
      rtpParameters: videoRtpParameters(),
    });
    expect(camera.ok).toBe(true);
    expect(ts.server.store.getLesson(ts.lesson.id)?.status).toBe('live');
  });

  it('a classroom receives the teacher: producerAdded, consume (paused), resume', async () => {
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    const room = await ts.connect(classroomGrant(ts.lesson.id));
    const added: string[] = [];
    room.on('media:producerAdded', (p) => added.push(p.kind));
    const { video } = await teacherPublishing(teacher, videoRtpParameters());
    await new Promise((r) => setTimeout(r, 100));
    expect(added.sort()).toEqual(['audio', 'video']);

    const { rtpCapabilities } = await ok(room, 'media:getRouterRtpCapabilities', {});
    const recv = await ok(room, 'media:createTransport', { direction: 'recv' });
    const consumer = await ok(room, 'media:consume', {
      transportId: recv.id,
      producerId: video.producerId,
      rtpCapabilities,
    });
    expect(consumer).toMatchObject({ producerId: video.producerId, kind: 'video' });
    expect(await call(room, 'media:resumeConsumer', { consumerId: consumer.consumerId })).toEqual({ ok: true, data: {} });

    // The teacher leaves: the classroom is told the producer is gone.
    const closed = new Promise<string>((resolve) => room.once('media:producerClosed', (p) => resolve(p.producerId)));
    teacher.disconnect();
    expect(await closed).toBeTruthy();
    const state = await ok(room, 'lesson:sync', {});
    expect(state.teacherOnline).toBe(false);
    expect(state.producers).toEqual([]);
  });

  it('a late classroom finds the teacher’s producers in the state it syncs', async () => {
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    const { video, audio } = await teacherPublishing(teacher, videoRtpParameters());
    const late = await ts.connect(classroomGrant(ts.lesson.id, 'demo-recv-3'));
    const state = await ok(late, 'lesson:sync', {});
    expect(state.status).toBe('live');
    expect(state.producers.map((p) => p.producerId).sort()).toEqual([video.producerId, audio.producerId].sort());
  });

  it('refuses to consume anything but the teacher’s producers, and unknown ids', async () => {
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    await teacherPublishing(teacher, videoRtpParameters());
    const room = await ts.connect(classroomGrant(ts.lesson.id));
    const { rtpCapabilities } = await ok(room, 'media:getRouterRtpCapabilities', {});
    const recv = await ok(room, 'media:createTransport', { direction: 'recv' });
    expect(
      await call(room, 'media:consume', { transportId: recv.id, producerId: 'nope', rtpCapabilities }),
    ).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await call(room, 'media:resumeConsumer', { consumerId: 'nope' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(
      await call(room, 'media:connectTransport', {
        transportId: 'not-mine',
        dtlsParameters: { fingerprints: [{ algorithm: 'sha-256', value: 'AA' }] },
      }),
    ).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('keeps one transport per direction: a new one replaces the old, with its producers', async () => {
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    const room = await ts.connect(classroomGrant(ts.lesson.id));
    const { video } = await teacherPublishing(teacher, videoRtpParameters());
    const closed = new Promise<string>((resolve) => room.once('media:producerClosed', (p) => resolve(p.producerId)));
    for (let i = 0; i < 6; i++) await ok(teacher, 'media:createTransport', { direction: 'send' });
    await ok(teacher, 'media:createTransport', { direction: 'recv' });
    expect(await closed).toBe(video.producerId);
    const media = await ts.server.service.media(ts.lesson.id);
    expect(media.stats()).toMatchObject({ transports: 2, producers: 0 });
  });

  it('rejects malformed payloads and unknown events without changing anything', async () => {
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    const before = await ok(teacher, 'lesson:sync', {});
    const cases: [string, unknown][] = [
      ['lesson:start', { extra: 1 }],
      ['lesson:start', 'start'],
      ['media:createTransport', { direction: 'sideways' }],
      ['media:produce', { transportId: '../../etc', kind: 'video', source: 'camera', rtpParameters: {} }],
      ['media:consume', null],
      ['no:such-event', {}],
    ];
    for (const [event, payload] of cases) {
      const ack = await call(teacher, event as 'lesson:start', payload);
      expect(ack.ok, event).toBe(false);
      if (!ack.ok) expect(ack.error.code).toBe('BAD_REQUEST');
    }
    expect(await ok(teacher, 'lesson:sync', {})).toEqual(before);
    expect(ts.server.store.listEvents(ts.lesson.id).map((e) => e.type)).toEqual(['teacher_joined']);
  });

  it('answers a flood of one event with RATE_LIMITED while other events still work', async () => {
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    const acks = await Promise.all(Array.from({ length: 60 }, () => call(teacher, 'lesson:sync', {})));
    const limited = acks.filter((a) => !a.ok && a.error.code === 'RATE_LIMITED').length;
    expect(limited).toBeGreaterThan(0);
    expect(acks.filter((a) => a.ok).length).toBeGreaterThanOrEqual(30);
    expect((await call(teacher, 'lesson:start', {})).ok).toBe(true);
  });
});
