/**
 * The worker's key-frame throttle, on the real (patched) worker: one window per producer, not
 * one per simulcast layer (scripts/patch-worker-keyframe-window.py). A Node socket plays the
 * teacher's encoder: it sends three VP8 layers into a PlainTransport and counts the PLIs the
 * worker sends back per layer, while a classroom behind a pipe asks for a key frame.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { types } from 'mediasoup';
import { createLogger } from '../../server/logger.js';
import { KEY_FRAME_REQUEST_DELAY_MS } from '../../server/media/lessonMedia.js';
import { WorkerPool } from '../../server/media/workerPool.js';
import { until } from '../helpers/poll.js';

const SSRCS = [1111, 2222, 3333] as const;
const PT = 101;

interface Teacher {
  socket: Socket;
  /** Like Chrome's VP8 simulcast, a PLI on any layer brings a key frame on every layer; false: PLIs are ignored. */
  answering: boolean;
  /** PLIs received, by the layer's SSRC, with when they came. */
  plis: { ssrc: number; at: number }[];
  stop(): void;
}

/**
 * VP8 RTP as Chrome sends it: an extended descriptor (X=1) with a 15-bit picture ID (mediasoup
 * parses nothing else), S=1, partition 0; the payload header's P bit 0 makes a key frame.
 */
function vp8Packet(ssrc: number, seq: number, timestamp: number, key: boolean): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = 0x80 | PT; // marker: one packet per frame
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE(timestamp >>> 0, 4);
  header.writeUInt32BE(ssrc, 8);
  const payload = Buffer.alloc(40, 0x55);
  payload[0] = 0x90;
  payload[1] = 0x80;
  payload.writeUInt16BE(0x8000 | (seq & 0x7fff), 2);
  payload[4] = key ? 0x00 : 0x01;
  return Buffer.concat([header, payload]);
}

/** Every PLI (RTCP PT 206, FMT 1) in a (compound) RTCP packet: the media SSRC it asks for. */
function plisIn(msg: Buffer): number[] {
  const out: number[] = [];
  for (let off = 0; off + 4 <= msg.length; ) {
    const length = (msg.readUInt16BE(off + 2) + 1) * 4;
    if (msg[off + 1] === 206 && (msg[off]! & 0x1f) === 1 && off + 12 <= msg.length) out.push(msg.readUInt32BE(off + 8));
    off += length;
  }
  return out;
}

async function startTeacher(transport: types.PlainTransport): Promise<Teacher> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const plis: Teacher['plis'] = [];
  const keyNext = new Set<number>(SSRCS.map((_, i) => i)); // every layer starts on a key frame
  socket.on('message', (msg) => {
    if (msg.length < 2 || msg[1]! < 192 || msg[1]! > 223) return;
    for (const ssrc of plisIn(msg)) {
      plis.push({ ssrc, at: performance.now() });
      if (teacher.answering) SSRCS.forEach((_, i) => keyNext.add(i));
    }
  });
  await transport.connect({ ip: '127.0.0.1', port: socket.address().port });
  let frame = 0;
  const send = () => {
    frame++;
    SSRCS.forEach((ssrc, i) => {
      const key = keyNext.delete(i);
      socket.send(vp8Packet(ssrc, frame, frame * 3600, key), transport.tuple.localPort, '127.0.0.1');
    });
  };
  const timer = setInterval(send, 40);
  const teacher: Teacher = {
    socket,
    answering: true,
    plis,
    stop: () => {
      clearInterval(timer);
      socket.close();
    },
  };
  return teacher;
}

describe('key-frame requests: one window per producer (patched worker)', () => {
  let pool: WorkerPool;
  let router: types.Router;

  beforeAll(async () => {
    const workerBin = process.env.MEDIASOUP_WORKER_BIN!;
    pool = await WorkerPool.create(
      { workerBin, numWorkers: 1, listenIp: '127.0.0.1', announcedIp: '127.0.0.1', rtcPort: null, consumerBudget: 100 },
      createLogger('silent'),
    );
    router = await pool.createRouterOn(pool.worker(0)!);
  });
  afterAll(async () => {
    await pool?.close();
  });

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

  /**
   * A producer fed by a fake teacher, piped towards "another worker" that is a Node socket: a
   * classroom there losing its picture sends a PLI up the pipe, and mediasoup's PipeConsumer
   * asks the producer for a key frame on every layer at once (as for every classroom placed on
   * another worker). Then a quiet spell longer than the window, so only the test's PLI counts.
   */
  async function lesson(): Promise<{ teacher: Teacher; plisUpThePipe(): void; close(): void }> {
    const ingest = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: false });
    const producer = await ingest.produce({
      kind: 'video',
      keyFrameRequestDelay: KEY_FRAME_REQUEST_DELAY_MS,
      rtpParameters: {
        codecs: [{ mimeType: 'video/VP8', payloadType: PT, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] }],
        encodings: SSRCS.map((ssrc) => ({ ssrc })),
        rtcp: { cname: 'teacher' },
      },
    });
    const teacher = await startTeacher(ingest);
    const pipe = await router.createPipeTransport({ listenIp: '127.0.0.1' });
    const remote = createSocket('udp4');
    await new Promise<void>((r) => remote.bind(0, '127.0.0.1', r));
    await pipe.connect({ ip: '127.0.0.1', port: remote.address().port });
    const close = () => {
      teacher.stop();
      remote.close();
      ingest.close();
      pipe.close();
    };
    try {
      const piped = await pipe.consume({ producerId: producer.id });
      const ssrc = piped.rtpParameters.encodings![0]!.ssrc!;
      const quietFor = KEY_FRAME_REQUEST_DELAY_MS + 300;
      const since = performance.now();
      await until(() => performance.now() - since > quietFor && teacher.plis.every((p) => performance.now() - p.at > quietFor), 10_000, 'a quiet spell');
      teacher.plis.length = 0;
      return {
        teacher,
        // RTCP PLI: V=2 FMT=1, PT 206, length 2, sender SSRC, media SSRC.
        plisUpThePipe: () => {
          const pli = Buffer.alloc(12);
          pli[0] = 0x81;
          pli[1] = 206;
          pli.writeUInt16BE(2, 2);
          pli.writeUInt32BE(1, 4);
          pli.writeUInt32BE(ssrc, 8);
          remote.send(pli, pipe.tuple.localPort, '127.0.0.1');
        },
        close,
      };
    } catch (err) {
      close();
      throw err;
    }
  }

  const count = (t: Teacher, ssrc: number) => t.plis.filter((p) => p.ssrc === ssrc).length;

  it('asks once for a request on every layer, and drops the held ones once the answer came on every layer', async () => {
    const l = await lesson();
    try {
      l.plisUpThePipe();
      await until(() => l.teacher.plis.length > 0, 2_000, 'a PLI to the teacher');
      const opened = l.teacher.plis[0]!.at;
      // One layer asked at once (before the patch: all three, so three key frames on every
      // layer from Chrome); the others held until the window ends, then answered by the key
      // frame the encoder sent on every layer.
      await sleep(opened + KEY_FRAME_REQUEST_DELAY_MS + 500 - performance.now());
      expect(l.teacher.plis.map((p) => p.ssrc)).toHaveLength(1);
    } finally {
      l.close();
    }
  }, 30_000);

  it('sends the held requests one window apart when no key frame answers them, never inside the first', async () => {
    const l = await lesson();
    try {
      l.teacher.answering = false;
      l.plisUpThePipe();
      await until(() => l.teacher.plis.length > 0, 2_000, 'a PLI to the teacher');
      const first = l.teacher.plis[0]!;
      const others = SSRCS.filter((x) => x !== first.ssrc);
      await until(() => others.every((x) => count(l.teacher, x) > 0), 3 * KEY_FRAME_REQUEST_DELAY_MS, 'the held PLIs');
      const after = others.map((x) => l.teacher.plis.find((p) => p.ssrc === x)!.at - first.at).sort((a, b) => a - b);
      // One request per window for the whole producer: the first held layer when the window
      // ends, the next one window later (a little timer slack either way).
      expect(after[0]).toBeGreaterThanOrEqual(KEY_FRAME_REQUEST_DELAY_MS - 50);
      expect(after[0]).toBeLessThan(KEY_FRAME_REQUEST_DELAY_MS + 400);
      expect(after[1]! - after[0]!).toBeGreaterThanOrEqual(KEY_FRAME_REQUEST_DELAY_MS - 50);
      expect(after[1]).toBeLessThan(2 * KEY_FRAME_REQUEST_DELAY_MS + 400);
    } finally {
      l.close();
    }
  }, 30_000);
});
