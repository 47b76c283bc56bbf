import { randomBytes } from 'node:crypto';
import { io as ioClient } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { Grant } from '../../shared/token.js';
import { audioRtpParameters, simulcastVideoRtpParameters } from '../helpers/rtp.js';
import { teacherPublishing } from '../helpers/publishing.js';
import { call, classroomGrant, ok, startTestServer, teacherGrant, type ClientSocket, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/poll.js';

/**
 * A page's signalling drops (ping timeout, a closed TCP connection) while its media flows on.
 * The server keeps the page's media and place in the lesson while it may come back with its
 * session key, and lets it go once its media falls silent or it says goodbye.
 */
describe('media outlives a dropped signalling connection', () => {
  let ts: TestServer;
  const opened: ClientSocket[] = [];
  afterEach(async () => {
    for (const s of opened.splice(0)) s.disconnect();
    await ts?.close();
  });

  const newKey = () => randomBytes(16).toString('hex');

  /** Connects like a page: with its session key, hearing media:session before anything else. */
  async function connectPage(grant: Grant, key: string): Promise<{ socket: ClientSocket; resumed: boolean }> {
    const token = await ts.token(grant);
    const socket: ClientSocket = ioClient(ts.url, { auth: { token, peer: key }, transports: ['websocket'], reconnection: false });
    opened.push(socket);
    const resumed = new Promise<boolean>((resolve, reject) => {
      socket.once('media:session', ({ resumed: r }) => resolve(r));
      socket.once('connect_error', reject);
    });
    return { socket, resumed: await resumed };
  }

  /** Cuts a page's connection the way the network does: the server sees 'transport close'. */
  async function dropNetwork(socket: ClientSocket): Promise<void> {
    const server = ts.server.io.sockets.sockets.get(socket.id!);
    const gone = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
    // Closing the engine.io socket would be 'forced close'; closing its WebSocket is the network.
    server!.conn.transport.close();
    await gone;
  }

  const classroomView = (id: string) =>
    ts.server.service.state(ts.lesson.id, { kind: 'teacher' }).classrooms.find((c) => c.classroomId === id);
  const classroomOnline = async (id: string) => classroomView(id)?.online ?? null;
  const eventTypes = () => ts.server.store.listEvents(ts.lesson.id).map((e) => e.type);

  it('a page back with its key carries on with its transports and consumers; nobody saw it leave', async () => {
    ts = await startTestServer({ TONGKE_SIGNAL_GRACE_SECONDS: '60', TONGKE_SIGNAL_SILENCE_SECONDS: '60' });
    const teacherKey = newKey();
    const teacher = await connectPage(teacherGrant(ts.lesson.id), teacherKey);
    expect(teacher.resumed).toBe(false);
    const t = await teacherPublishing(teacher.socket);
    const key = newKey();
    const first = await connectPage(classroomGrant(ts.lesson.id), key);
    const { rtpCapabilities } = await ok(first.socket, 'media:getRouterRtpCapabilities', {});
    const recv = await ok(first.socket, 'media:createTransport', { direction: 'recv' });
    const consumer = await ok(first.socket, 'media:consume', { transportId: recv.id, producerId: t.video.producerId, rtpCapabilities });
    const closedProducers: string[] = [];
    teacher.socket.on('media:producerClosed', ({ producerId }) => closedProducers.push(producerId));

    await dropNetwork(first.socket);
    await dropNetwork(teacher.socket);
    await new Promise((r) => setTimeout(r, 300));
    // Both still in the lesson, the teacher's producers still there for everyone.
    // The teacher's wall shows it online, reconnecting.
    expect(classroomView('demo-recv-1')).toMatchObject({ online: true, reconnecting: true });
    expect(classroomView('demo-recv-2')).toMatchObject({ online: false, reconnecting: false });
    expect(ts.server.service.state(ts.lesson.id, { kind: 'classroom', classroomId: 'demo-recv-2' }).teacherOnline).toBe(true);
    expect(ts.server.service.state(ts.lesson.id, { kind: 'teacher' }).producers.map((p) => p.producerId)).toContain(t.video.producerId);

    const again = await connectPage(classroomGrant(ts.lesson.id), key);
    expect(again.resumed).toBe(true);
    expect(classroomView('demo-recv-1')).toMatchObject({ online: true, reconnecting: false });
    expect((await connectPage(teacherGrant(ts.lesson.id), teacherKey)).resumed).toBe(true);
    // The old transport answers the new connection.
    expect(await call(again.socket, 'media:restartIce', { transportId: recv.id })).toMatchObject({ ok: true });
    // Asking again for the same producer replaces the consumer rather than adding a second stream,
    // and the news reaches the new connection.
    const closed = new Promise<string>((resolve) => again.socket.once('media:consumerClosed', ({ consumerId }) => resolve(consumerId)));
    const second = await ok(again.socket, 'media:consume', { transportId: recv.id, producerId: t.video.producerId, rtpCapabilities });
    expect(await closed).toBe(consumer.consumerId);
    const media = await ts.server.service.media(ts.lesson.id);
    expect(media.stats().consumers).toBe(1);
    expect(second.consumerId).not.toBe(consumer.consumerId);

    expect(closedProducers).toEqual([]);
    const types = eventTypes();
    expect(types.filter((x) => x === 'classroom_joined')).toHaveLength(1);
    expect(types).not.toContain('classroom_left');
    expect(types).not.toContain('teacher_left');
  });

  it('a second connection with the same key takes the peer over and the first is closed', async () => {
    ts = await startTestServer();
    const teacher = await connectPage(teacherGrant(ts.lesson.id), newKey());
    await teacherPublishing(teacher.socket);
    const key = newKey();
    const first = await connectPage(classroomGrant(ts.lesson.id), key);
    const recv = await ok(first.socket, 'media:createTransport', { direction: 'recv' });
    const firstGone = new Promise<string>((resolve) => first.socket.once('disconnect', (reason) => resolve(reason)));
    // The network died under the first connection before the server noticed; the page is back.
    const second = await connectPage(classroomGrant(ts.lesson.id), key);
    expect(second.resumed).toBe(true);
    expect(await firstGone).toBe('io server disconnect');
    await new Promise((r) => setTimeout(r, 200));
    expect(await classroomOnline('demo-recv-1')).toBe(true);
    expect(await call(second.socket, 'media:restartIce', { transportId: recv.id })).toMatchObject({ ok: true });
    expect(eventTypes()).not.toContain('classroom_left');
  });

  it('a page that does not come back leaves once its media is silent, and finds nothing kept after', async () => {
    ts = await startTestServer({ TONGKE_SIGNAL_GRACE_SECONDS: '60', TONGKE_SIGNAL_SILENCE_SECONDS: '1' });
    const teacher = await connectPage(teacherGrant(ts.lesson.id), newKey());
    await teacherPublishing(teacher.socket);
    const key = newKey();
    const room = await connectPage(classroomGrant(ts.lesson.id), key);
    // A transport whose ICE never connects: no byte ever comes from this page.
    await ok(room.socket, 'media:createTransport', { direction: 'recv' });
    const dropped = Date.now();
    await dropNetwork(room.socket);
    await until(async () => (await classroomOnline('demo-recv-1')) === false, 5_000);
    expect(Date.now() - dropped).toBeGreaterThanOrEqual(900);
    expect(eventTypes()).toContain('classroom_left');
    expect(classroomView('demo-recv-1')?.reconnecting).toBe(false);
    const media = await ts.server.service.media(ts.lesson.id);
    expect(media.stats().transports).toBe(1); // the teacher's only
    const back = await connectPage(classroomGrant(ts.lesson.id), key);
    expect(back.resumed).toBe(false);
    expect(await classroomOnline('demo-recv-1')).toBe(true);
  });

  it('a page that says goodbye leaves at once, media closed', async () => {
    ts = await startTestServer({ TONGKE_SIGNAL_GRACE_SECONDS: '60', TONGKE_SIGNAL_SILENCE_SECONDS: '60' });
    const teacher = await connectPage(teacherGrant(ts.lesson.id), newKey());
    await teacherPublishing(teacher.socket);
    const room = await connectPage(classroomGrant(ts.lesson.id), newKey());
    await ok(room.socket, 'media:createTransport', { direction: 'recv' });
    room.socket.disconnect();
    await until(async () => (await classroomOnline('demo-recv-1')) === false, 2_000);
    expect((await ts.server.service.media(ts.lesson.id)).stats().transports).toBe(1);
  });

  it('a key is only ever good for its own grant, and a malformed one is refused', async () => {
    ts = await startTestServer({ TONGKE_SIGNAL_GRACE_SECONDS: '60', TONGKE_SIGNAL_SILENCE_SECONDS: '60' });
    const teacher = await connectPage(teacherGrant(ts.lesson.id), newKey());
    await teacherPublishing(teacher.socket);
    const key = newKey();
    const one = await connectPage(classroomGrant(ts.lesson.id, 'demo-recv-1'), key);
    await ok(one.socket, 'media:createTransport', { direction: 'recv' });
    // Another classroom presenting the same key gets a peer of its own, and takes nothing over.
    const other = await connectPage(classroomGrant(ts.lesson.id, 'demo-recv-2'), key);
    expect(other.resumed).toBe(false);
    expect(one.socket.connected).toBe(true);
    await expect(connectPage(classroomGrant(ts.lesson.id, 'demo-recv-3'), '../../x')).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
    });
  });

  it('with no grace the page leaves as soon as its signalling drops', async () => {
    ts = await startTestServer({ TONGKE_SIGNAL_GRACE_SECONDS: '0' });
    const room = await connectPage(classroomGrant(ts.lesson.id), newKey());
    await dropNetwork(room.socket);
    await until(async () => (await classroomOnline('demo-recv-1')) === false, 2_000);
  });
});
