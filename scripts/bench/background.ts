import type { WorkerPool } from '../../server/media/workerPool.js';
import { onCleanup } from './cleanup.js';
import { startTunEgress } from './tunEgress.js';
import type { Flags } from './flags.js';
import { startPublisher } from './publisher.js';
import { addClassroom, receiverCapabilities, removeClassroom, type BulkClassroom, type BulkTarget } from './receivers.js';
import { lossPctBetween, type GapTotals } from './seqGaps.js';
import { round } from './system.js';

/**
 * The ramp's load kept running under the WebRTC phase: on the production server's own
 * worker, a second router fed by the ffmpeg publisher forwards to N bulk SRTP classrooms,
 * so WebRTC classrooms join and are timed on a worker that is already busy, as on a
 * Monday morning when a county's classrooms are all in the lesson.
 */
export interface BackgroundLoad {
  classrooms: number;
  /** Worker CPU and sampled loss of the bulk classrooms since `mark()`. */
  mark(): Promise<void>;
  since(): Promise<{ workerCpuPct: number; sampledLossPct: number | null }>;
}

const CREATE_CONCURRENCY = 10;

export async function startBackgroundLoad(pool: WorkerPool, flags: Flags, file: string, classrooms: number): Promise<BackgroundLoad> {
  const pooled = pool.worker(0);
  if (!pooled) throw new Error('the server has no worker to load');
  const router = await pool.createRouterOn(pooled);
  onCleanup('background router', () => router.close());
  const publisher = await startPublisher(router, file, flags.publisher);
  const tun = flags.egress === 'tun' ? await startTunEgress() : null;
  const target: BulkTarget = {
    pool,
    pooled,
    router,
    producers: [publisher.video, publisher.audio],
    caps: receiverCapabilities(router),
    suite: flags['srtp-suite'],
    tun,
  };
  const bulk: BulkClassroom[] = [];
  onCleanup('background classrooms', () => bulk.forEach(removeClassroom));
  while (bulk.length < classrooms) {
    const base = bulk.length;
    const batch = Math.min(CREATE_CONCURRENCY, classrooms - base);
    bulk.push(...(await Promise.all(Array.from({ length: batch }, (_, k) => addClassroom(target, base + k, base + k < flags['sample-readers'])))));
  }

  const gaps = (): GapTotals =>
    bulk
      .flatMap((c) => (c.tracker ? [c.tracker.totals()] : []))
      .reduce((t, g) => ({ expected: t.expected + g.expected, received: t.received + g.received }), { expected: 0, received: 0 });
  const cpuMs = async () => {
    const u = await pooled.worker.getResourceUsage();
    return u.ru_utime + u.ru_stime;
  };
  let from = { at: performance.now(), cpu: await cpuMs(), gaps: gaps() };
  return {
    classrooms,
    async mark() {
      from = { at: performance.now(), cpu: await cpuMs(), gaps: gaps() };
    },
    async since() {
      const wall = performance.now() - from.at;
      const loss = lossPctBetween(from.gaps, gaps());
      return { workerCpuPct: round((100 * ((await cpuMs()) - from.cpu)) / wall), sampledLossPct: loss === null ? null : round(loss, 3) };
    },
  };
}
