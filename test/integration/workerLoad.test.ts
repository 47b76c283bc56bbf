/**
 * Placement by measured CPU, against real workers: worker 0 carries fewer classrooms than worker
 * 1 but forwards a real RTP stream to many consumers, so its core is the busier one. New
 * classrooms must then go to worker 1, and back to worker 0 once its stream stops.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logger.js';
import { WorkerPool } from '../../server/media/workerPool.js';
import { audioRtpParameters } from '../helpers/rtp.js';
import { until } from '../helpers/poll.js';

const SSRC = 11111111;
const PT = audioRtpParameters().codecs[0]!.payloadType;
const BUSY_PCT = 20;
const FORWARDED = 40;

function rtp(seq: number): Buffer {
  const b = Buffer.alloc(12 + 160, 0x55);
  b[0] = 0x80;
  b[1] = PT;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((seq * 960) >>> 0, 4);
  b.writeUInt32BE(SSRC, 8);
  return b;
}

/** Consumers of `producer` on their own PlainTransports, sending to `sinkPort`, counted by placement. */
async function consumersOn(pool: WorkerPool, index: number, router: types.Router, producer: types.Producer, n: number, sinkPort: number) {
  for (let i = 0; i < n; i++) {
    const t = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: false });
    await t.connect({ ip: '127.0.0.1', port: sinkPort });
    pool.trackConsumer(pool.worker(index)!, await t.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities }));
  }
}

describe('placing classrooms by the workers’ measured CPU', () => {
  let pool: WorkerPool;
  let teacher: Socket;
  let sink: Socket;
  let ingestPort = 0;

  beforeAll(async () => {
    pool = await WorkerPool.create(
      {
        workerBin: process.env.MEDIASOUP_WORKER_BIN!,
        numWorkers: 2,
        listenIp: '127.0.0.1',
        announcedIp: '127.0.0.1',
        rtcPort: null,
        consumerBudget: 1000,
        cpuBusyPct: BUSY_PCT,
        cpuSampleMs: 250,
      },
      createLogger('silent'),
    );
    // Nobody reads the sink: its buffer fills and the kernel drops, as for the fan-out benchmark.
    sink = createSocket('udp4');
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
    teacher = createSocket('udp4');
    await new Promise<void>((r) => teacher.bind(0, '127.0.0.1', r));

    for (const index of [0, 1]) {
      const router = await pool.createRouterOn(pool.worker(index)!);
      const ingest = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: false });
      await ingest.connect({ ip: '127.0.0.1', port: teacher.address().port });
      const producer = await ingest.produce({ kind: 'audio', rtpParameters: audioRtpParameters(SSRC) });
      // Worker 0: fewer consumers, but its producer will be fed. Worker 1: more, all idle.
      await consumersOn(pool, index, router, producer, index === 0 ? FORWARDED : FORWARDED + 20, sink.address().port);
      if (index === 0) ingestPort = ingest.tuple.localPort;
    }
  });

  afterAll(async () => {
    teacher?.close();
    sink?.close();
    await pool?.close();
  });

  const load = (index: number) => pool.loadReport().find((w) => w.index === index)!;

  it('sends new classrooms past a busy worker, and back once it is quiet', async () => {
    // By count, worker 0 (40 consumers against 60) is the place, once setting up its transports
    // has left its CPU readings.
    const placedOnZero = async () => (await pool.place()).index === 0;
    await until(placedOnZero, 15_000, 'classrooms placed on worker 0 while it is idle', 100);
    expect(load(0).busy).toBe(false);

    // ~4,000 packets/s in, forwarded to 40 consumers: ~160,000 sends a second on worker 0's core.
    let seq = 0;
    const feed = setInterval(() => {
      for (let i = 0; i < 20; i++) teacher.send(rtp(seq++), ingestPort, '127.0.0.1');
    }, 5);
    try {
      await until(() => load(0).busy, 15_000, `worker 0 at ${BUSY_PCT}% of its core`, 100);
      expect(load(0).cpuPct).toBeGreaterThanOrEqual(BUSY_PCT);
      expect(load(1).busy).toBe(false);
      expect((await pool.place()).index).toBe(1);
    } finally {
      clearInterval(feed);
    }

    await until(() => !load(0).busy, 15_000, 'worker 0 no longer busy', 100);
    // Its smoothed CPU decays over a few readings; once it is near idle, the count decides again.
    await until(placedOnZero, 15_000, 'classrooms placed on worker 0 again', 100);
    expect(load(0).cpuPct).toBeLessThan(BUSY_PCT / 2);
  });
});
