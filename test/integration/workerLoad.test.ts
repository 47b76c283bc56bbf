/**
 * Placement by measured CPU, against real workers: worker 0 carries fewer classrooms than worker
 * 1 but forwards a real RTP stream to its consumers, so its core is the busier one. New
 * classrooms must then go to worker 1, and back to worker 0 once its stream stops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logger.js';
import { WorkerPool } from '../../server/media/workerPool.js';
import { until } from '../helpers/poll.js';
import { loadOnWorker, type ForwardingLoad } from '../helpers/forwardingLoad.js';

const BUSY_PCT = 20;

describe('placing classrooms by the workers’ measured CPU', () => {
  let pool: WorkerPool;
  let loads: ForwardingLoad[] = [];

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
    // Worker 0: fewer consumers, but its producer will be fed. Worker 1: more, all idle.
    loads = [await loadOnWorker(pool, 0, 40), await loadOnWorker(pool, 1, 60)];
  });

  afterAll(async () => {
    for (const l of loads) await l.close();
    await pool?.close();
  });

  const load = (index: number) => pool.loadReport().workers.find((w) => w.index === index)!;

  it('sends new classrooms past a busy worker, and back once it is quiet', async () => {
    // By count, worker 0 (40 consumers against 60) is the place, once setting up its transports
    // has left its CPU readings.
    const placedOnZero = async () => (await pool.place()).index === 0;
    await until(placedOnZero, 15_000, 'classrooms placed on worker 0 while it is idle', 100);
    expect(load(0).busy).toBe(false);

    loads[0]!.feed();
    try {
      await until(() => load(0).busy, 15_000, `worker 0 at ${BUSY_PCT}% of its core`, 100);
      expect(load(0).cpuPct).toBeGreaterThanOrEqual(BUSY_PCT);
      expect(load(1).busy).toBe(false);
      expect((await pool.place()).index).toBe(1);
    } finally {
      loads[0]!.pause();
    }

    await until(() => !load(0).busy, 15_000, 'worker 0 no longer busy', 100);
    // Its smoothed CPU decays over a few readings; once it is near idle, the count decides again.
    await until(placedOnZero, 15_000, 'classrooms placed on worker 0 again', 100);
    expect(load(0).cpuPct).toBeLessThan(BUSY_PCT / 2);
  });
});
