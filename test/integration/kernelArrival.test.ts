/**
 * The worker's transport-cc feedback carries when the kernel received each packet, not when the
 * worker got round to reading it (scripts/patch-worker-kernel-arrival.py). A Node socket plays
 * the teacher's sender into a PlainTransport; the worker is stopped (SIGSTOP) while packets
 * 30 ms apart queue in its socket, as they do behind a worker busy forwarding, then let go on.
 * The feedback must still show them 30 ms apart: read as arriving all at once, they made the
 * teacher's estimate fall (scripts/bench-uplink).
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { types } from 'mediasoup';
import { createLogger } from '../../server/logger.js';
import { WorkerPool } from '../../server/media/workerPool.js';
import { until } from '../helpers/poll.js';

const TCC_URI = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';
const TCC_ID = 5;
const SSRC = 4444;
const PT = 101;
const GAP_MS = 30;

/** VP8 RTP with the transport-wide sequence number in a one-byte header extension. */
function rtpWithWideSeq(seq: number, wideSeq: number): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x90; // V=2, X=1
  header[1] = 0x80 | PT;
  header.writeUInt16BE(seq, 2);
  header.writeUInt32BE(seq * 3000, 4);
  header.writeUInt32BE(SSRC, 8);
  const ext = Buffer.from([0xbe, 0xde, 0x00, 0x01, (TCC_ID << 4) | 1, wideSeq >> 8, wideSeq & 0xff, 0x00]);
  const payload = Buffer.from([0x90, 0x80, 0x80 | (seq >> 8), seq & 0xff, 0x01, ...Buffer.alloc(35, 0x55)]);
  return Buffer.concat([header, ext, payload]);
}

/**
 * Every packet a transport-cc feedback (RTCP PT 205, FMT 15) reports received, with its arrival
 * in ms on the worker's clock: the reference time (64 ms units) plus the running sum of deltas
 * (250 µs units).
 */
function tccArrivals(msg: Buffer): Map<number, number> {
  const out = new Map<number, number>();
  for (let off = 0; off + 4 <= msg.length; off += (msg.readUInt16BE(off + 2) + 1) * 4) {
    if (msg[off + 1] !== 205 || (msg[off]! & 0x1f) !== 15) continue;
    const base = msg.readUInt16BE(off + 12);
    const count = msg.readUInt16BE(off + 14);
    const reference = msg.readIntBE(off + 16, 3);
    const symbols: number[] = [];
    let at = off + 20;
    while (symbols.length < count) {
      const chunk = msg.readUInt16BE(at);
      at += 2;
      if ((chunk & 0x8000) === 0) {
        const symbol = (chunk >> 13) & 0x3;
        for (let i = 0; i < (chunk & 0x1fff); i++) symbols.push(symbol);
      } else if ((chunk & 0x4000) === 0) {
        for (let i = 13; i >= 0; i--) symbols.push((chunk >> i) & 0x1);
      } else {
        for (let i = 6; i >= 0; i--) symbols.push((chunk >> (2 * i)) & 0x3);
      }
    }
    let time = reference * 64 * 4;
    symbols.slice(0, count).forEach((symbol, i) => {
      if (symbol === 0) return;
      const delta = symbol === 1 ? msg.readUInt8(at) : msg.readInt16BE(at);
      at += symbol === 1 ? 1 : 2;
      time += delta;
      out.set((base + i) & 0xffff, time / 4);
    });
  }
  return out;
}

describe('transport-cc feedback stamps arrival with the kernel receive time (patched worker)', () => {
  let pool: WorkerPool;
  let router: types.Router;
  let teacher: Socket;
  const arrivals = new Map<number, number>();

  beforeAll(async () => {
    pool = await WorkerPool.create(
      { workerBin: process.env.MEDIASOUP_WORKER_BIN!, numWorkers: 1, listenIp: '127.0.0.1', announcedIp: '127.0.0.1', rtcPort: null, consumerBudget: 100 },
      createLogger('silent'),
    );
    router = await pool.createRouterOn(pool.worker(0)!);
    teacher = createSocket('udp4');
    await new Promise<void>((r) => teacher.bind(0, '127.0.0.1', r));
    teacher.on('message', (msg) => {
      for (const [seq, ms] of tccArrivals(msg)) arrivals.set(seq, ms);
    });
  });
  afterAll(async () => {
    teacher?.close();
    await pool?.close();
  });

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('reads packets that waited in the socket of a stalled worker as arriving when they did', async () => {
    const ingest = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: false });
    await ingest.connect({ ip: '127.0.0.1', port: teacher.address().port });
    await ingest.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [{ mimeType: 'video/VP8', payloadType: PT, clockRate: 90000, rtcpFeedback: [{ type: 'transport-cc' }] }],
        headerExtensions: [{ uri: TCC_URI, id: TCC_ID }],
        encodings: [{ ssrc: SSRC }],
        rtcp: { cname: 'teacher' },
      },
    });
    const send = (n: number) => teacher.send(rtpWithWideSeq(n, n), ingest.tuple.localPort, '127.0.0.1');

    // Warm-up, read as they come: feedback flows.
    for (let n = 1; n <= 5; n++) {
      send(n);
      await sleep(GAP_MS);
    }
    await until(() => arrivals.has(5), 2_000, 'feedback for the warm-up packets');

    const [pid] = pool.pids();
    process.kill(pid!, 'SIGSTOP');
    const queued = [6, 7, 8, 9, 10];
    try {
      for (const n of queued) {
        send(n);
        await sleep(GAP_MS);
      }
    } finally {
      process.kill(pid!, 'SIGCONT');
    }
    // mediasoup carries each feedback's last packet over as the next one's base, so every packet
    // but the very first is reported.
    await until(() => queued.every((n) => arrivals.has(n)), 2_000, 'feedback for the queued packets');

    // Read when the worker woke, they would all be 0-1 ms apart.
    const gaps = queued.slice(1).map((n) => arrivals.get(n)! - arrivals.get(n - 1)!);
    expect(gaps).toHaveLength(4);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(GAP_MS - 8);
      expect(gap).toBeLessThan(GAP_MS + 40);
    }
    ingest.close();
  }, 20_000);
});
