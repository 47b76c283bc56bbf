/**
 * The worker sends a fan-out's datagrams in sendmmsg() batches on its WebRtcServer's socket
 * (scripts/patch-worker-batched-send.py). Classrooms as browsers connect (ICE + DTLS-SRTP through
 * the WebRtcServer, by scripts/bench/icedtls.c), more than two batches' worth, and negotiate
 * transport-cc, so every datagram carries a send callback. Each classroom read, on either side
 * of a batch's edge, must get every packet the teacher sent, once, in order; the unread ones
 * must have been sent every one.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { types } from 'mediasoup';
import { createLogger } from '../../server/logger.js';
import { WorkerPool } from '../../server/media/workerPool.js';
import { IceDtlsPeers, udpPortOf } from '../../scripts/bench/iceDtlsPeers.js';
import { until } from '../helpers/poll.js';

const SSRC = 5555;
const PT = 100;
/** Batches hold 64: these classrooms fill two and start a third. */
const CLASSROOMS = 150;
const READ = [0, 1, 62, 63, 64, 65, 127, 128, 149];
const PACKETS = 400;

/** VP8, every packet a key frame's first (so each classroom's consumer forwards from the first on). */
function vp8(seq: number): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = PT;
  header.writeUInt16BE(seq, 2);
  header.writeUInt32BE(seq * 3000, 4);
  header.writeUInt32BE(SSRC, 8);
  // Descriptor X=1 S=1, a 15-bit picture id; then a key frame's header (P=0), start code and size.
  const descriptor = [0x90, 0x80, 0x80 | ((seq >> 8) & 0x7f), seq & 0xff];
  const keyFrame = [0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01];
  return Buffer.concat([header, Buffer.from([...descriptor, ...keyFrame]), Buffer.alloc(400, seq & 0xff)]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('batched sends on the WebRtcServer socket (patched worker)', () => {
  let pool: WorkerPool;
  let router: types.Router;
  let peers: IceDtlsPeers;
  let teacher: Socket;

  beforeAll(async () => {
    pool = await WorkerPool.create(
      { workerBin: process.env.MEDIASOUP_WORKER_BIN!, numWorkers: 1, listenIp: '127.0.0.1', announcedIp: '127.0.0.1', rtcPort: null, consumerBudget: 1000 },
      createLogger('silent'),
    );
    router = await pool.createRouterOn(pool.worker(0)!);
    peers = await IceDtlsPeers.start();
    teacher = createSocket('udp4');
    await new Promise<void>((r) => teacher.bind(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    peers?.close();
    teacher?.close();
    await pool?.close();
  });

  it('gets every packet to every classroom once and in order, past the batch edges', { timeout: 60_000 }, async () => {
    const pooled = pool.worker(0)!;
    const ingest = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: false });
    await ingest.connect({ ip: '127.0.0.1', port: teacher.address().port });
    const producer = await ingest.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [{ mimeType: 'video/VP8', payloadType: PT, clockRate: 90000 }],
        encodings: [{ ssrc: SSRC }],
        rtcp: { cname: 'teacher' },
      },
    });
    const port = await udpPortOf(pooled.webRtcServer);

    const consumers: types.Consumer[] = [];
    for (let base = 0; base < CLASSROOMS; base += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, CLASSROOMS - base) }, async (_, k) => {
          const id = base + k;
          const transport = await router.createWebRtcTransport({ webRtcServer: pooled.webRtcServer, enableUdp: true, enableTcp: false });
          await transport.connect({ dtlsParameters: { role: 'client', fingerprints: [peers.fingerprint] } });
          await peers.connect(id, transport, port, READ.includes(id));
          // The router's own capabilities: transport-cc, so each datagram has a send callback.
          consumers[id] = await transport.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
        }),
      );
    }
    expect(consumers[0]!.rtpParameters.headerExtensions?.some((h) => h.uri.includes('transport-wide-cc'))).toBe(true);

    // Bursts of 4, as a router gets a video frame's packets back to back.
    const tallies = new Map<number, { received: number; expected: number; reordered: number }>();
    const drain = async () => {
      for (const id of READ) tallies.set(id, await peers.count(id));
    };
    for (let seq = 1; seq <= PACKETS; seq += 4) {
      for (let k = 0; k < 4; k++) teacher.send(vp8(seq + k), ingest.tuple.localPort, '127.0.0.1');
      await sleep(5);
      if (seq % 40 === 1) await drain();
    }
    await until(
      async () => {
        await drain();
        return READ.every((id) => tallies.get(id)!.received >= PACKETS);
      },
      5_000,
      `every read classroom has the teacher's packets (so far: ${JSON.stringify([...tallies])})`,
    );
    await sleep(200);
    await drain();
    // Beside the teacher's packets, the worker may probe the classroom's bandwidth (transport-cc) on a
    // stream of its own; each stream is counted from its first packet, without a gap.
    for (const id of READ) {
      const tally = tallies.get(id)!;
      expect({ id, lost: tally.expected - tally.received, reordered: tally.reordered }).toEqual({ id, lost: 0, reordered: 0 });
      expect(tally.received).toBeGreaterThanOrEqual(PACKETS);
    }

    // The unread ones were sent as many: the worker counted each datagram out.
    const sent = await Promise.all(consumers.map(async (c) => ((await c.getStats())[0] as { packetCount: number }).packetCount));
    expect(sent.filter((n) => n !== PACKETS)).toEqual([]);
    expect(pooled.worker.closed).toBe(false);
  });
});
