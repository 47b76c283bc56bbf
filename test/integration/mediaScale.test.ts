import { afterEach, describe, expect, it } from 'vitest';
import { audioRtpParameters, simulcastVideoRtpParameters, videoRtpParameters } from '../helpers/rtp.js';
import { teacherPublishing } from '../helpers/publishing.js';
import { call, classroomGrant, ok, startTestServer, teacherGrant, type ClientSocket, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/poll.js';
import { loadOnWorker } from '../helpers/forwardingLoad.js';

const simulcastVideo = simulcastVideoRtpParameters;

async function receive(room: ClientSocket, producerIds: string[]) {
  const { rtpCapabilities } = await ok(room, 'media:getRouterRtpCapabilities', {});
  const recv = await ok(room, 'media:createTransport', { direction: 'recv' });
  const consumers = [];
  for (const producerId of producerIds) {
    consumers.push(await ok(room, 'media:consume', { transportId: recv.id, producerId, rtpCapabilities }));
  }
  return consumers;
}

describe('media at scale and under faults', () => {
  let ts: TestServer;
  afterEach(async () => {
    await ts?.close();
  });

  it('spreads classrooms over both workers once one is over budget, piping the teacher to each', async () => {
    ts = await startTestServer({ TONGKE_NUM_WORKERS: '2', TONGKE_WORKER_CONSUMER_BUDGET: '2' });
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    const t = await teacherPublishing(teacher);
    const rooms = [];
    for (const id of ['demo-recv-1', 'demo-recv-2', 'demo-recv-3']) {
      const room = await ts.connect(classroomGrant(ts.lesson.id, id));
      const consumers = await receive(room, [t.video.producerId, t.audio.producerId]);
      expect(consumers.map((c) => c.kind)).toEqual(['video', 'audio']);
      rooms.push(room);
    }
    const media = await ts.server.service.media(ts.lesson.id);
    expect(await media.slots()).toEqual([0, 1]);
    const usage = await ts.server.pool.resourceUsage();
    expect(usage.map((w) => w.consumers).reduce((a, b) => a + b, 0)).toBe(6);
    expect(usage.every((w) => w.consumers > 0)).toBe(true);
    // A simulcast consumer for every classroom, wherever it lives.
    for (const room of rooms) {
      const d = media.describePeer(room.id!)!;
      expect(d.consumers.find((c) => c.kind === 'video')?.type).toBe('simulcast');
    }
  });

  it("keeps the worker receiving the teacher's uplink (or a classroom's on stage) lighter: classrooms fill it only to its smaller budget", async () => {
    ts = await startTestServer({ TONGKE_NUM_WORKERS: '2', TONGKE_WORKER_CONSUMER_BUDGET: '4', TONGKE_UPLINK_WORKER_CONSUMER_BUDGET: '2' });
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    const t = await teacherPublishing(teacher);
    const rooms: { room: ClientSocket; sendId: string }[] = [];
    for (const [i, id] of ['demo-recv-1', 'demo-recv-2', 'demo-recv-3'].entries()) {
      const room = await ts.connect(classroomGrant(ts.lesson.id, id));
      await receive(room, [t.video.producerId, t.audio.producerId]);
      // Each classroom sends its own small picture for the wall: not an uplink every classroom gets.
      const send = await ok(room, 'media:createTransport', { direction: 'send' });
      await ok(room, 'media:produce', { transportId: send.id, kind: 'video', source: 'camera', rtpParameters: videoRtpParameters(30000 + i) });
      rooms.push({ room, sendId: send.id });
    }
    const usage = await ts.server.pool.resourceUsage();
    const uplink = usage.filter((w) => w.uplinks > 0);
    const other = usage.filter((w) => w.uplinks === 0);
    expect(uplink.map((w) => w.uplinks)).toEqual([2]);
    // Three classrooms, video + audio each: one beside the teacher's uplink (its budget of 2),
    // two on the other worker (its budget of 4).
    expect(uplink[0]!.consumers).toBe(2);
    expect(other.map((w) => w.consumers)).toEqual([4]);
    // The teacher stops publishing: that worker counts as an ordinary one again.
    for (const p of [t.video, t.audio]) await ok(teacher, 'media:closeProducer', { producerId: p.producerId });
    const uplinks = async () => (await ts.server.pool.resourceUsage()).map((w) => w.uplinks);
    expect(await uplinks()).toEqual([0, 0]);
    // A classroom on stage is received by every classroom: its picture counts while it is there,
    // and so does what it publishes there.
    await ok(teacher, 'stage:invite', { classroomId: 'demo-recv-1' });
    expect((await uplinks()).sort()).toEqual([0, 1]);
    const onStage = rooms[0]!;
    await ok(onStage.room, 'media:produce', { transportId: onStage.sendId, kind: 'audio', source: 'microphone', rtpParameters: audioRtpParameters(40000) });
    expect((await uplinks()).sort()).toEqual([0, 2]);
    await ok(teacher, 'stage:remove', { classroomId: 'demo-recv-1' });
    expect(await uplinks()).toEqual([0, 0]);
  });

  it('places a joining classroom on the quiet worker when the emptier one is busy forwarding', async () => {
    ts = await startTestServer({ TONGKE_NUM_WORKERS: '2', TONGKE_WORKER_CPU_BUSY_PERCENT: '10' });
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    const t = await teacherPublishing(teacher);
    // Worker 0 forwards a real stream to 40 consumers; worker 1 holds 60 idle ones: by count alone
    // the classroom would go to worker 0.
    const loads = [await loadOnWorker(ts.server.pool, 0, 40), await loadOnWorker(ts.server.pool, 1, 60)];
    try {
      loads[0]!.feed();
      const busy = () => ts.server.pool.loadReport().workers.map((w) => w.busy).join();
      await until(() => busy() === 'true,false', 20_000, 'worker 0 busy, worker 1 not');
      const room = await ts.connect(classroomGrant(ts.lesson.id, 'demo-recv-1'));
      await receive(room, [t.video.producerId, t.audio.producerId]);
      const media = await ts.server.service.media(ts.lesson.id);
      expect(media.describePeer(room.id!)!.slot).toBe(1);
      expect((await ts.server.pool.resourceUsage()).map((w) => w.consumers)).toEqual([40, 62]);
    } finally {
      for (const l of loads) await l.close();
    }
  });

  it('caps the classrooms of a worker at its limit a layer at a time, and lifts the cap once it has room', async () => {
    ts = await startTestServer({ TONGKE_WORKER_CPU_BUSY_PERCENT: '10', TONGKE_WORKER_CPU_SHED_PERCENT: '15' }, (c) => {
      c.media.shedTiming = { settleMs: 1_500, minHoldMs: 3_000 };
    });
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    const t = await teacherPublishing(teacher);
    const media = await ts.server.service.media(ts.lesson.id);
    const layer = (room: ClientSocket) => media.describePeer(room.id!)!.consumers.find((c) => c.kind === 'video')!.preferredLayers?.spatialLayer;
    const cap = () => ts.server.pool.loadReport().workers[0]!.layerCap;
    const auto = await ts.connect(classroomGrant(ts.lesson.id, 'demo-recv-1'));
    await receive(auto, [t.video.producerId, t.audio.producerId]);
    const smooth = await ts.connect(classroomGrant(ts.lesson.id, 'demo-recv-2'));
    await receive(smooth, [t.video.producerId]);
    await ok(smooth, 'media:setQuality', { mode: 'smooth' });
    expect([layer(auto), layer(smooth), cap()]).toEqual([2, 0, null]);
    expect(ts.server.pool.loadReport().shedPct).toBe(15);

    // The one worker forwards a real stream to 40 more consumers: it stays over the line, so the
    // cap comes down to 640 px, then, that not being enough, to 320 px.
    const load = await loadOnWorker(ts.server.pool, 0, 40);
    try {
      load.feed();
      await until(() => layer(auto) === 1, 20_000, 'the auto classroom capped at 640 px');
      expect(cap()).toBe(1);
      // Its page is told why the picture is softer; the 流畅 one's picture is no softer, so its is not.
      expect((await ok(auto, 'lesson:sync', {})).viewer.serverLayerCap).toBe(1);
      expect((await ok(smooth, 'lesson:sync', {})).viewer.serverLayerCap).toBeNull();
      // The teacher sees how many classrooms the server lowered.
      expect((await ok(teacher, 'lesson:sync', {})).reception.serverCapped).toBe(1);
      // A classroom joining now, even one asking for 高清, starts under the cap.
      const high = await ts.connect(classroomGrant(ts.lesson.id, 'demo-recv-3'));
      await ok(high, 'media:setQuality', { mode: 'high' });
      await receive(high, [t.video.producerId]);
      expect(layer(high)).toBeLessThanOrEqual(1);
      await until(() => layer(auto) === 0 && layer(high) === 0, 20_000, 'both capped at 320 px');
      expect(layer(smooth)).toBe(0);

      // The stream stops: the worker has room, and the cap comes off, one layer at a time.
      load.pause();
      await until(() => layer(auto) === 1, 20_000, 'back to 640 px');
      expect(layer(high)).toBe(1);
      await until(() => layer(auto) === 2, 20_000, 'back to the top layer');
      expect([layer(high), layer(smooth), cap()]).toEqual([2, 0, null]);
      expect((await ok(auto, 'lesson:sync', {})).viewer.serverLayerCap).toBeNull();
      expect((await ok(teacher, 'lesson:sync', {})).reception.serverCapped).toBe(0);
    } finally {
      await load.close();
    }
  });

  it('places no new classroom on a worker that caps its classrooms while another has room, though its CPU reads low again', async () => {
    ts = await startTestServer({ TONGKE_NUM_WORKERS: '2', TONGKE_WORKER_CPU_BUSY_PERCENT: '10', TONGKE_WORKER_CPU_SHED_PERCENT: '15' }, (c) => {
      c.media.shedTiming = { settleMs: 1_500, minHoldMs: 120_000 };
    });
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    const t = await teacherPublishing(teacher);
    const loads = [await loadOnWorker(ts.server.pool, 0, 40), await loadOnWorker(ts.server.pool, 1, 60)];
    try {
      loads[0]!.feed();
      const w0 = () => ts.server.pool.loadReport().workers[0]!;
      await until(() => w0().layerCap !== null, 20_000, 'worker 0 capping its classrooms');
      loads[0]!.pause();
      await until(() => (w0().cpuPct ?? 100) < 5, 20_000, 'worker 0 idle again');
      // Still capped, so still busy as placement and the admin page see it.
      expect(w0()).toMatchObject({ busy: true, layerCap: expect.any(Number) });
      // By count and by CPU worker 0 would take it; capped, it does not.
      const room = await ts.connect(classroomGrant(ts.lesson.id, 'demo-recv-1'));
      await receive(room, [t.video.producerId, t.audio.producerId]);
      const media = await ts.server.service.media(ts.lesson.id);
      expect(media.describePeer(room.id!)!.slot).toBe(1);
      expect(media.describePeer(room.id!)!.consumers.find((c) => c.kind === 'video')!.preferredLayers?.spatialLayer).toBe(2);
    } finally {
      for (const l of loads) await l.close();
    }
  });

  it('enforces 自动/高清/流畅/仅音频 on the server and keeps the choice across reconnects', async () => {
    ts = await startTestServer();
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    const t = await teacherPublishing(teacher);
    const room = await ts.connect(classroomGrant(ts.lesson.id));
    const [videoConsumer] = await receive(room, [t.video.producerId, t.audio.producerId]);
    await ok(room, 'media:resumeConsumer', { consumerId: videoConsumer!.consumerId });
    const media = await ts.server.service.media(ts.lesson.id);
    const video = () => media.describePeer(room.id!)!.consumers.find((c) => c.kind === 'video')!;
    const audio = () => media.describePeer(room.id!)!.consumers.find((c) => c.kind === 'audio')!;
    expect(video().preferredLayers?.spatialLayer).toBe(2);

    await ok(room, 'media:setQuality', { mode: 'smooth' });
    expect(video().preferredLayers?.spatialLayer).toBe(0);
    await ok(room, 'media:setQuality', { mode: 'audio' });
    expect(video().paused).toBe(true);
    // The client cannot resume video behind the server's back; audio is untouched.
    await ok(room, 'media:resumeConsumer', { consumerId: videoConsumer!.consumerId });
    expect(video().paused).toBe(true);
    expect(audio().paused).toBe(true); // never resumed by this client yet
    expect((await ok(room, 'lesson:sync', {})).viewer.qualityMode).toBe('audio');
    expect((await ok(teacher, 'lesson:sync', {})).reception).toMatchObject({ audioOnly: 1 });

    await ok(room, 'media:setQuality', { mode: 'high' });
    expect(video()).toMatchObject({ paused: false, preferredLayers: { spatialLayer: 2 } });

    await ok(room, 'media:setQuality', { mode: 'smooth' });
    room.disconnect();
    const again = await ts.connect(classroomGrant(ts.lesson.id));
    await receive(again, [t.video.producerId]);
    expect(media.describePeer(again.id!)!.consumers[0]?.preferredLayers?.spatialLayer).toBe(0);
    expect(await call(again, 'media:setQuality', { mode: 'ultra' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });

  it('restarts ICE on request with fresh credentials', async () => {
    ts = await startTestServer();
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    const t = await teacherPublishing(teacher);
    const { iceParameters } = await ok(teacher, 'media:restartIce', { transportId: t.send.id });
    expect(iceParameters).toMatchObject({ usernameFragment: expect.any(String), password: expect.any(String) });
    expect(await call(teacher, 'media:restartIce', { transportId: 'nope' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('survives a SIGKILLed worker: a replacement serves, clients are told to reconnect, the lesson stays live', async () => {
    ts = await startTestServer();
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    const room = await ts.connect(classroomGrant(ts.lesson.id));
    const t = await teacherPublishing(teacher);
    await receive(room, [t.video.producerId, t.audio.producerId]);
    const resets = Promise.all([teacher, room].map((s) => new Promise((resolve) => s.once('media:reset', resolve))));
    const [pid] = ts.server.pool.pids();
    process.kill(pid!, 'SIGKILL');
    await resets;
    // The replacement worker comes up in the same slot.
    const deadline = Date.now() + 5000;
    while (ts.server.pool.pids().length < 1 || ts.server.pool.pids()[0] === pid) {
      if (Date.now() > deadline) throw new Error('no replacement worker');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await ok(room, 'lesson:sync', {})).status).toBe('live');
    // Clients set up again: the teacher publishes, the classroom receives.
    const send = await ok(teacher, 'media:createTransport', { direction: 'send' });
    const video = await ok(teacher, 'media:produce', { transportId: send.id, kind: 'video', source: 'camera', rtpParameters: simulcastVideo() });
    const [consumer] = await receive(room, [video.producerId]);
    expect(consumer?.kind).toBe('video');
    const incident = ts.server.store.listEvents(ts.lesson.id).find((e) => e.type === 'media_quality_incident');
    expect(incident?.data).toMatchObject({ kind: 'media_reset' });
  });
});

describe('a classroom whose media link stays down', () => {
  let ts: TestServer;
  afterEach(async () => {
    await ts?.close();
  });

  /** The mediasoup transport behind an id: emitting its ICE events stands in for a network drop. */
  async function transportObject(server: TestServer, peerId: string, transportId: string) {
    const media = await server.server.service.media(server.lesson.id);
    const peers = Reflect.get(media, 'peers') as Map<string, { transports: Map<string, import('node:events').EventEmitter & { closed: boolean }> }>;
    return peers.get(peerId)!.transports.get(transportId)!;
  }

  it('has its transport closed after the grace period, and is told; a recovery in time keeps it', async () => {
    ts = await startTestServer({ TONGKE_MEDIA_GRACE_SECONDS: '1' });
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    await ok(teacher, 'lesson:start', {});
    const room = await ts.connect(classroomGrant(ts.lesson.id));
    const kept = await ok(room, 'media:createTransport', { direction: 'send' });
    const dropped = await ok(room, 'media:createTransport', { direction: 'recv' });
    const keptT = await transportObject(ts, room.id!, kept.id);
    const droppedT = await transportObject(ts, room.id!, dropped.id);

    const told = new Promise<string>((resolve) => room.once('media:transportClosed', ({ transportId }) => resolve(transportId)));
    keptT.emit('icestatechange', 'disconnected');
    droppedT.emit('icestatechange', 'disconnected');
    await new Promise((r) => setTimeout(r, 400));
    keptT.emit('icestatechange', 'completed'); // back within the grace period
    expect(await told).toBe(dropped.id);
    expect(droppedT.closed).toBe(true);
    expect(keptT.closed).toBe(false);
  });
});
