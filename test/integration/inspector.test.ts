import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { audioRtpParameters, videoRtpParameters } from '../helpers/rtp.js';
import {
  call,
  classroomGrant,
  inspectorGrant,
  ok,
  startTestServer,
  teacherGrant,
  type TestServer,
} from '../helpers/server.js';

/** 巡课: an inspector watches any lesson read-only, unseen by the log and presence. */
describe('inspector', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer();
  });
  afterEach(async () => {
    await ts.close();
  });

  it('chooses the lesson at connect and sees it like a classroom without a classroom', async () => {
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    await ok(teacher, 'lesson:start', {});
    const before = ts.server.store.listEvents(ts.lesson.id).length;
    const inspector = await ts.connect(inspectorGrant(), { lessonId: ts.lesson.id });
    const state = await ok(inspector, 'lesson:sync', {});
    expect(state.status).toBe('live');
    expect(state.viewer).toEqual({ role: 'inspector', classroomId: null, qualityMode: 'auto', serverLayerCap: null });
    expect(ts.server.store.listEvents(ts.lesson.id)).toHaveLength(before);
  });

  it('receives the teacher and every classroom\'s picture, a classroom\'s sound only on stage, and cannot send', async () => {
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    const room = await ts.connect(classroomGrant(ts.lesson.id));
    await ok(teacher, 'lesson:start', {});
    const send = await ok(teacher, 'media:createTransport', { direction: 'send' });
    const video = await ok(teacher, 'media:produce', { transportId: send.id, kind: 'video', source: 'camera', rtpParameters: videoRtpParameters() });
    const roomSend = await ok(room, 'media:createTransport', { direction: 'send' });
    const roomCam = await ok(room, 'media:produce', { transportId: roomSend.id, kind: 'video', source: 'camera', rtpParameters: videoRtpParameters(33333333) });
    const roomMic = await ok(room, 'media:produce', { transportId: roomSend.id, kind: 'audio', source: 'microphone', rtpParameters: audioRtpParameters(44444444) });

    const inspector = await ts.connect(inspectorGrant(ts.lesson.id));
    const closed: string[] = [];
    inspector.on('media:consumerClosed', ({ consumerId }) => closed.push(consumerId));
    const { rtpCapabilities } = await ok(inspector, 'media:getRouterRtpCapabilities', {});
    const recv = await ok(inspector, 'media:createTransport', { direction: 'recv' });
    const consumer = await ok(inspector, 'media:consume', { transportId: recv.id, producerId: video.producerId, rtpCapabilities });
    expect(consumer).toMatchObject({ producerId: video.producerId, kind: 'video' });
    // 巡课 sees every receiving classroom, as the teacher's wall does…
    const roomPicture = await ok(inspector, 'media:consume', { transportId: recv.id, producerId: roomCam.producerId, rtpCapabilities });
    expect(roomPicture).toMatchObject({ producerId: roomCam.producerId, kind: 'video' });
    // …but hears a classroom only while it is on stage, as everybody else.
    expect(await call(inspector, 'media:consume', { transportId: recv.id, producerId: roomMic.producerId, rtpCapabilities })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    await ok(teacher, 'stage:invite', { classroomId: 'demo-recv-1' });
    const roomSound = await ok(inspector, 'media:consume', { transportId: recv.id, producerId: roomMic.producerId, rtpCapabilities });
    expect(roomSound).toMatchObject({ kind: 'audio' });
    // Off the stage again: the inspector keeps the picture for its wall, as the teacher does.
    await ok(teacher, 'stage:remove', { classroomId: 'demo-recv-1' });
    await ok(inspector, 'lesson:sync', {});
    expect(closed).not.toContain(roomPicture.consumerId);
    expect(await call(inspector, 'media:resumeConsumer', { consumerId: roomPicture.consumerId })).toMatchObject({ ok: true });

    expect(await call(inspector, 'media:createTransport', { direction: 'send' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await call(inspector, 'media:produce', { transportId: recv.id, kind: 'audio', source: 'microphone', rtpParameters: audioRtpParameters() })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await call(inspector, 'question:raise', { text: 'hi' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('refuses a pinned token used for another lesson, an unknown lesson, and no lesson', async () => {
    const refuse = (auth: Record<string, unknown>, grant = inspectorGrant('lesson-a')) =>
      ts.connect(grant, auth).then(
        () => 'connected',
        (err: Error & { data?: { code?: string } }) => err.data?.code,
      );
    expect(await refuse({ lessonId: ts.lesson.id })).toBe('FORBIDDEN');
    expect(await refuse({ lessonId: 'no-such-lesson' }, inspectorGrant())).toBe('NOT_FOUND');
    expect(await refuse({}, inspectorGrant())).toBe('BAD_REQUEST');
    // Other roles may not choose a lesson at connect.
    expect(await refuse({ lessonId: ts.lesson.id }, classroomGrant(ts.lesson.id))).toBe('BAD_REQUEST');
  });
});
