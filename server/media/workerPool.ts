import { EventEmitter } from 'node:events';
import mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import type { Logger } from '../logger.js';
import { MEDIA_CODECS } from './codecs.js';
import type { MediaLoad } from '../../shared/mediaLoad.js';
import { choosePlacement } from './placement.js';
import { procCpuMs, WorkerLoadWatch, type CpuReading, type WorkerLoad } from './workerLoad.js';
import { LayerShedding, type ShedTiming } from './layerShedding.js';

export interface WorkerPoolOptions {
  workerBin: string;
  numWorkers: number;
  listenIp: string;
  announcedIp: string;
  /** First port; worker i uses rtcPort + i for UDP and TCP. null: free ports. */
  rtcPort: number | null;
  /** Consumers one worker should carry before new classrooms go elsewhere. */
  consumerBudget: number;
  /**
   * The same for a worker that also receives a teacher's uplink (or an on-stage classroom's), to
   * keep it lighter; defaults to consumerBudget. On a tie, placement prefers a worker with none.
   */
  uplinkConsumerBudget?: number;
  /**
   * A worker whose smoothed CPU reaches this share of its core takes no new classrooms while
   * another has room (server/media/workerLoad.ts); 100 places by consumer count alone.
   */
  cpuBusyPct?: number;
  /**
   * A worker whose smoothed CPU stays at this share of its core caps the simulcast layer its
   * classrooms receive, a layer at a time, until it has room again (layerShedding.ts); 100: never.
   */
  cpuShedPct?: number;
  /** Shedding's settle and hold times (SHED_TIMING unless a test shortens them). */
  shedTiming?: ShedTiming;
  /** How often the workers' CPU is read for that (default 1000 ms). */
  cpuSampleMs?: number;
  /** libwebrtc field trials for the workers' congestion control; LIBWEBRTC_FIELD_TRIALS unless a benchmark compares. */
  libwebrtcFieldTrials?: string;
}

/** What mediasoup 3.12 passes to its workers' libwebrtc when told nothing. */
export const MEDIASOUP_FIELD_TRIALS = 'WebRTC-Bwe-AlrLimitedBackoff/Enabled/';
/**
 * mediasoup's trials, and the send pacer woken every 25 ms instead of every 5. Each classroom's
 * transport runs libwebrtc's congestion controller on a timer that fires whenever the pacer is
 * due; mediasoup does not pace media through it (it only sends probes, which keep their own
 * timing), so the 5 ms wake-ups only refresh a budget nobody reads. With 200 classrooms at the
 * top layer's packet rate answering with feedback as browsers do, congestion control took the
 * worker from 39.3% of its core to 64.1%, and to 55.5% with this trial (scripts/bench-tcc,
 * bench/results/tcc.md; medians of 5 runs).
 */
export const LIBWEBRTC_FIELD_TRIALS = `${MEDIASOUP_FIELD_TRIALS}WebRTC-Pacer-MinPacketLimitMs/25/`;

export interface PooledWorker {
  index: number;
  worker: types.Worker;
  /** All WebRTC media of this worker goes through one UDP and one TCP port. */
  webRtcServer: types.WebRtcServer;
  routers: number;
  consumers: number;
  /**
   * Producers every classroom receives that reach it over WebRTC: the teacher's, and a classroom's
   * on stage. Pipes from other workers and the classrooms' own pictures for the wall do not count.
   */
  uplinks: number;
}

export type WorkerPoolEvents = {
  /** A worker died and a replacement now serves its slot (same ports). */
  workerReplaced: [index: number];
  /** A worker's classrooms may now receive simulcast layers up to this one (null: all). */
  layerCap: [index: number, cap: number | null];
};

/**
 * One mediasoup worker per core, each with its own WebRtcServer, so a school firewall
 * only needs to open numWorkers ports. A worker that dies is replaced in its slot.
 */
export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  private readonly workers: PooledWorker[] = [];
  private closed = false;
  private readonly load: WorkerLoadWatch;
  private lastCrowdedWarnAt = -Infinity;
  /** Per worker slot: how far it caps its classrooms' layers while at its core's limit. */
  private readonly shedding = new Map<number, LayerShedding>();

  private constructor(
    private readonly opts: WorkerPoolOptions,
    private readonly log: Logger,
  ) {
    super();
    this.load = new WorkerLoadWatch(
      () => this.cpuReadings(),
      { intervalMs: opts.cpuSampleMs ?? 1000, busyPct: this.busyPct },
      log,
      (index) => this.workers[index]?.consumers ?? 0,
      (index, load) => this.shed(index, load),
    );
    // Every lesson's media listens for layer caps: a county's worth of lessons is no leak.
    this.setMaxListeners(0);
  }

  private get busyPct(): number {
    return this.opts.cpuBusyPct ?? 100;
  }

  private get shedPct(): number {
    return this.opts.cpuShedPct ?? 100;
  }

  private shed(index: number, load: WorkerLoad): void {
    const pooled = this.worker(index);
    if (!pooled || this.shedPct >= 100) return;
    let shedding = this.shedding.get(index);
    if (!shedding) this.shedding.set(index, (shedding = new LayerShedding(this.shedPct, this.opts.shedTiming)));
    const before = shedding.cap;
    if (!shedding.update({ cpuPct: load.cpuPct, atMs: performance.now() })) return;
    const fields = { worker: index, cpuPct: Math.round(load.cpuPct ?? 0), shedPct: this.shedPct, consumers: pooled.consumers, layerCap: shedding.cap };
    if (before === null || (shedding.cap !== null && shedding.cap < before)) {
      this.log.warn(fields, "mediasoup worker at its core's limit: its classrooms now receive a lower simulcast layer");
    } else {
      this.log.info(fields, 'mediasoup worker has room again: its classrooms may receive a higher layer');
    }
    this.emit('layerCap', index, shedding.cap);
  }

  /** The highest simulcast layer classrooms on this worker may receive now; null: no cap. */
  layerCapOf(index: number): number | null {
    return this.shedding.get(index)?.cap ?? null;
  }

  static async create(opts: WorkerPoolOptions, log: Logger): Promise<WorkerPool> {
    if (process.env.MEDIASOUP_WORKER_BIN !== opts.workerBin) {
      // mediasoup reads the binary path from the environment when it is first loaded.
      throw new Error('MEDIASOUP_WORKER_BIN must be set in the environment before start-up');
    }
    const pool = new WorkerPool(opts, log);
    try {
      for (let i = 0; i < opts.numWorkers; i++) pool.workers.push(await pool.spawn(i));
      pool.load.start();
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  private async spawn(index: number): Promise<PooledWorker> {
    const worker = await mediasoup.createWorker({ logLevel: 'warn', libwebrtcFieldTrials: this.opts.libwebrtcFieldTrials ?? LIBWEBRTC_FIELD_TRIALS });
    const port = this.opts.rtcPort === null ? undefined : this.opts.rtcPort + index;
    let webRtcServer: types.WebRtcServer;
    try {
      webRtcServer = await worker.createWebRtcServer({
        listenInfos: [
          { protocol: 'udp', ip: this.opts.listenIp, announcedIp: this.opts.announcedIp, port },
          { protocol: 'tcp', ip: this.opts.listenIp, announcedIp: this.opts.announcedIp, port },
        ],
      });
    } catch (err) {
      worker.close();
      throw new Error(`cannot listen for media on port ${port ?? '(auto)'}: ${(err as Error).message}`);
    }
    const pooled: PooledWorker = { index, worker, webRtcServer, routers: 0, consumers: 0, uplinks: 0 };
    worker.on('died', (error) => {
      this.log.error({ worker: index, pid: worker.pid, err: error }, 'mediasoup worker died: replacing it');
      void this.replace(index);
    });
    this.log.info({ worker: index, pid: worker.pid, port: port ?? 'auto' }, 'mediasoup worker ready');
    return pooled;
  }

  /** Spawns a worker into a dead one's slot, retrying briefly while its port is released. */
  private async replace(index: number): Promise<void> {
    for (let attempt = 0; attempt < 20 && !this.closed; attempt++) {
      try {
        const fresh = await this.spawn(index);
        if (this.closed) {
          fresh.worker.close();
          return;
        }
        this.workers[index] = fresh;
        // The replacement starts uncapped; its lessons are rebuilt on it anyway.
        this.shedding.delete(index);
        this.emit('workerReplaced', index);
        return;
      } catch (err) {
        this.log.warn({ worker: index, err, attempt }, 'replacement worker failed to start; retrying');
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    this.log.error({ worker: index }, 'could not replace a dead mediasoup worker');
  }

  private alive(): PooledWorker[] {
    return this.workers.filter((w) => !w.worker.closed && !w.worker.died);
  }

  /**
   * Where a new classroom goes: the live worker filled least against its budget (the smaller
   * uplink budget for a worker receiving a teacher's uplink), preferring those under it, and on
   * a tie one that receives none. Right after a worker died its replacement may still be
   * starting, so this waits a little for one rather than failing the classroom.
   */
  async place(waitMs = 5_000): Promise<PooledWorker> {
    const deadline = Date.now() + waitMs;
    while (this.alive().length === 0 && !this.closed && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
    }
    const alive = this.alive();
    if (alive.length === 0) throw new Error('no live mediasoup worker');
    const { index, crowded } = choosePlacement(
      alive.map((w) => ({ consumers: w.consumers, budget: this.budgetOf(w), uplinks: w.uplinks, ...this.loadOf(w.index) })),
      this.busyPct,
    );
    // A join storm places many classrooms a second: once every 30 s is enough to be seen.
    if (crowded && Date.now() - this.lastCrowdedWarnAt > 30_000) {
      this.lastCrowdedWarnAt = Date.now();
      this.log.warn({ workers: this.loadReport() }, 'every mediasoup worker is over its consumer budget or busy');
    }
    return alive[index]!;
  }

  /**
   * A worker's CPU and whether it is busy. A worker that had to cap its classrooms counts as busy
   * however low its CPU reads now that they receive less: it is full for the top layer, and a
   * newcomer there would be capped too.
   */
  private loadOf(index: number): { cpuPct: number | null; busy: boolean } {
    const load = this.load.loadOf(index);
    return { cpuPct: load.cpuPct, busy: load.busy || this.layerCapOf(index) !== null };
  }

  /** Each live worker's recent CPU and consumers, as placement sees them. */
  loadReport(): MediaLoad {
    return {
      busyPct: this.busyPct,
      shedPct: this.shedPct,
      workers: this.alive().map((w) => ({ index: w.index, consumers: w.consumers, ...this.loadOf(w.index), layerCap: this.layerCapOf(w.index) })),
    };
  }

  private async cpuReadings(): Promise<CpuReading[]> {
    return Promise.all(
      this.alive().map(async (w) => {
        const cpuMs = procCpuMs(w.worker.pid);
        if (cpuMs !== null) return { index: w.index, pid: w.worker.pid, cpuMs, atMs: performance.now() };
        const u = await w.worker.getResourceUsage();
        return { index: w.index, pid: w.worker.pid, cpuMs: u.ru_utime + u.ru_stime, atMs: performance.now() };
      }),
    );
  }

  private budgetOf(w: PooledWorker): number {
    const { consumerBudget, uplinkConsumerBudget } = this.opts;
    return w.uplinks > 0 ? Math.min(consumerBudget, uplinkConsumerBudget ?? consumerBudget) : consumerBudget;
  }

  worker(index: number): PooledWorker | null {
    const w = this.workers[index];
    return w && !w.worker.closed && !w.worker.died ? w : null;
  }

  async createRouterOn(pooled: PooledWorker): Promise<types.Router> {
    const router = await pooled.worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    pooled.routers++;
    router.observer.once('close', () => {
      pooled.routers--;
    });
    return router;
  }

  /** Keeps the per-worker consumer count that placement uses. */
  trackConsumer(pooled: PooledWorker, consumer: types.Consumer): void {
    pooled.consumers++;
    consumer.observer.once('close', () => {
      pooled.consumers--;
    });
  }

  /**
   * Counts a producer that every classroom receives (the teacher's, a classroom's on stage)
   * against the worker receiving it, which lowers that worker's budget (uplinkConsumerBudget),
   * until the producer closes or the returned release is called; releasing twice is harmless.
   */
  trackUplink(pooled: PooledWorker, producer: types.Producer): () => void {
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      pooled.uplinks--;
      producer.observer.off('close', release);
    };
    pooled.uplinks++;
    producer.observer.once('close', release);
    return release;
  }

  get size(): number {
    return this.workers.length;
  }

  /** Test and chaos hook: the live workers' process ids, by slot. */
  pids(): number[] {
    return this.alive().map((w) => w.worker.pid);
  }

  async resourceUsage(): Promise<{ index: number; pid: number; routers: number; consumers: number; uplinks: number; cpuMs: number }[]> {
    return Promise.all(
      this.alive().map(async (w) => {
        const u = await w.worker.getResourceUsage();
        return { index: w.index, pid: w.worker.pid, routers: w.routers, consumers: w.consumers, uplinks: w.uplinks, cpuMs: u.ru_utime + u.ru_stime };
      }),
    );
  }

  /**
   * Closes WebRtcServers, then workers. Callers must close routers (and so their
   * transports) first: mediasoup 3.12 can crash if a WebRtcServer closes under live
   * transports.
   */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    void this.load.stop();
    for (const w of this.workers) if (!w.webRtcServer.closed) w.webRtcServer.close();
    const pids = this.workers.map((w) => w.worker.pid);
    for (const w of this.workers) if (!w.worker.closed) w.worker.close();
    this.removeAllListeners();
    return waitForExit(pids, 5_000);
  }
}

/** Resolves once every worker process is gone (mediasoup 3.12 has no event for it). */
async function waitForExit(pids: number[], timeoutMs: number): Promise<void> {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + timeoutMs;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
