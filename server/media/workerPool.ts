import mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import type { Logger } from '../logger.js';
import { MEDIA_CODECS } from './codecs.js';

export interface WorkerPoolOptions {
  workerBin: string;
  numWorkers: number;
  listenIp: string;
  announcedIp: string;
  /** First port; worker i uses rtcPort + i for UDP and TCP. null: free ports. */
  rtcPort: number | null;
}

export interface PooledWorker {
  index: number;
  worker: types.Worker;
  /** All WebRTC media of this worker goes through one UDP and one TCP port. */
  webRtcServer: types.WebRtcServer;
  routers: number;
}

/**
 * One mediasoup worker per core, each with its own WebRtcServer, so a school firewall
 * only needs to open numWorkers ports.
 */
export class WorkerPool {
  private readonly workers: PooledWorker[] = [];
  private closed = false;

  private constructor(
    private readonly opts: WorkerPoolOptions,
    private readonly log: Logger,
  ) {}

  static async create(opts: WorkerPoolOptions, log: Logger): Promise<WorkerPool> {
    if (process.env.MEDIASOUP_WORKER_BIN !== opts.workerBin) {
      // mediasoup reads the binary path from the environment when it is first loaded.
      throw new Error('MEDIASOUP_WORKER_BIN must be set in the environment before start-up');
    }
    const pool = new WorkerPool(opts, log);
    try {
      for (let i = 0; i < opts.numWorkers; i++) pool.workers.push(await pool.spawn(i));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  private async spawn(index: number): Promise<PooledWorker> {
    const worker = await mediasoup.createWorker({ logLevel: 'warn' });
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
    const pooled: PooledWorker = { index, worker, webRtcServer, routers: 0 };
    worker.on('died', (error) => {
      this.log.error({ worker: index, pid: worker.pid, err: error }, 'mediasoup worker died');
    });
    this.log.info({ worker: index, pid: worker.pid, port: port ?? 'auto' }, 'mediasoup worker ready');
    return pooled;
  }

  /** The live worker with the fewest routers. */
  pick(): PooledWorker {
    const alive = this.workers.filter((w) => !w.worker.closed);
    if (alive.length === 0) throw new Error('no live mediasoup worker');
    return alive.reduce((best, w) => (w.routers < best.routers ? w : best));
  }

  async createRouter(): Promise<{ router: types.Router; pooled: PooledWorker }> {
    const pooled = this.pick();
    const router = await pooled.worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    pooled.routers++;
    router.observer.once('close', () => {
      pooled.routers--;
    });
    return { router, pooled };
  }

  get size(): number {
    return this.workers.length;
  }

  async resourceUsage(): Promise<{ index: number; pid: number; routers: number; cpuMs: number }[]> {
    return Promise.all(
      this.workers
        .filter((w) => !w.worker.closed)
        .map(async (w) => {
          const u = await w.worker.getResourceUsage();
          return { index: w.index, pid: w.worker.pid, routers: w.routers, cpuMs: u.ru_utime + u.ru_stime };
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
    for (const w of this.workers) if (!w.webRtcServer.closed) w.webRtcServer.close();
    const pids = this.workers.map((w) => w.worker.pid);
    for (const w of this.workers) if (!w.worker.closed) w.worker.close();
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
