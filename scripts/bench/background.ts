import type { WorkerPool } from '../../server/media/workerPool.js';
import { onCleanup } from './cleanup.js';
import type { Flags } from './flags.js';
import { startPublisher } from './publisher.js';
import { bulkTarget, closeBulkTarget, growTo, removeClassroom, sampledGaps, type BulkClassroom } from './receivers.js';
import { lossPctBetween } from './seqGaps.js';
import { HostProbe, type ProbeWindow } from './hostProbe.js';
import { round, WORKER_CORE } from './system.js';

/**
 * The ramp's load kept running under the WebRTC phase: on the production server's own
 * worker, a second router fed by the ffmpeg publisher forwards to N bulk SRTP classrooms,
 * so WebRTC classrooms join and are timed on a worker that is already busy, as on a
 * Monday morning when a county's classrooms are all in the lesson.
 */
export interface BackgroundLoad {
  classrooms: number;
  /** Worker CPU, sampled loss of the bulk classrooms and the host's speed on the worker's core since `mark()`. */
  mark(): Promise<void>;
  since(): Promise<{ workerCpuPct: number; sampledLossPct: number | null; hostProbe: ProbeWindow | null }>;
  /** Resumes the first `count` bulk classrooms' consumers and pauses the others': the worker forwards to that many. */
  forward(count: number): Promise<void>;
}


export async function startBackgroundLoad(pool: WorkerPool, flags: Flags, file: string, classrooms: number): Promise<BackgroundLoad> {
  const pooled = pool.worker(0);
  if (!pooled) throw new Error('the server has no worker to load');
  const router = await pool.createRouterOn(pooled);
  onCleanup('background router', () => router.close());
  const publisher = await startPublisher(router, file, flags.publisher, flags['video-kbps']);
  const target = await bulkTarget(flags, { pool, pooled, router }, publisher);
  onCleanup('bulk classrooms\' far ends', () => closeBulkTarget(target));
  const bulk: BulkClassroom[] = [];
  onCleanup('background classrooms', () => bulk.forEach(removeClassroom));
  await growTo(target, bulk, classrooms, flags['sample-readers']);
  const gaps = () => sampledGaps(bulk);
  const cpuMs = async () => {
    const u = await pooled.worker.getResourceUsage();
    return u.ru_utime + u.ru_stime;
  };
  const probe = await HostProbe.start(WORKER_CORE);
  let from = { at: performance.now(), wallMs: Date.now(), cpu: await cpuMs(), gaps: gaps() };
  return {
    classrooms,
    async mark() {
      from = { at: performance.now(), wallMs: Date.now(), cpu: await cpuMs(), gaps: gaps() };
    },
    async since() {
      const wall = performance.now() - from.at;
      const loss = lossPctBetween(from.gaps, gaps());
      return {
        workerCpuPct: round((100 * ((await cpuMs()) - from.cpu)) / wall),
        sampledLossPct: loss === null ? null : round(loss, 3),
        hostProbe: probe ? probe.window(from.wallMs, Date.now()) : null,
      };
    },
    async forward(count) {
      await Promise.all(bulk.flatMap((c, i) => c.consumers.map((k) => (i < count ? k.resume() : k.pause()))));
    },
  };
}
