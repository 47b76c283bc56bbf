import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Logger } from '../logger.js';

/** One reading of a worker's CPU clock: its process's user + system time, and when it was read. */
export interface CpuReading {
  index: number;
  pid: number;
  cpuMs: number;
  atMs: number;
}

export interface WorkerLoad {
  /** Share of one core the worker used, smoothed over the last few readings; null before two readings. */
  cpuPct: number | null;
  /** At or over the busy line, and not yet back under it by the margin. */
  busy: boolean;
}

export interface WorkerLoadOptions {
  /** How often every worker's CPU clock is read. */
  intervalMs: number;
  /** A worker at this share of its core (smoothed) takes no new classrooms while another does not; 100: never. */
  busyPct: number;
}

/** Linux's clock ticks per second for /proc times (USER_HZ: 100 on every architecture Debian ships). */
const USER_HZ = 100;
const procTimes = z.tuple([z.coerce.number().int().nonnegative(), z.coerce.number().int().nonnegative()]);

/**
 * A process's user + system CPU time in ms from /proc/<pid>/stat, read by the kernel's clock
 * whatever the process is doing; null where there is no such file (not Linux, process gone).
 * Why not the worker's own getResourceUsage(): a saturated worker answers its channel late (a
 * reading took up to ~0.5 s in bench-fanout), and the interval between the figure and its arrival
 * made a core read 117–179% busy exactly when placement and shedding needed it right.
 */
export function procCpuMs(pid: number, read = (path: string) => readFileSync(path, 'utf8')): number | null {
  let stat: string;
  try {
    stat = read(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  // The command name (field 2) sits in parentheses and may hold spaces; fields 14 and 15 follow.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const times = procTimes.safeParse([fields[11], fields[12]]);
  return times.success ? ((times.data[0] + times.data[1]) * 1000) / USER_HZ : null;
}

/** A busy worker counts as busy until it falls this far under the line (half the line at most), so placement does not flap. */
export const BUSY_MARGIN_PCT = 10;
/** Weight of the newest interval: a join storm shows within two or three readings, one spike does not decide. */
const SMOOTHING = 0.5;

/** Share of a core between two readings of the same process, in percent; null if they do not follow on. */
export function cpuPctBetween(prev: CpuReading, next: CpuReading): number | null {
  const wall = next.atMs - prev.atMs;
  const cpu = next.cpuMs - prev.cpuMs;
  if (prev.pid !== next.pid || wall <= 0 || cpu < 0) return null;
  return (100 * cpu) / wall;
}

/** The next smoothed load of one worker, given its previous one and the newest interval's share. */
export function nextLoad(prev: WorkerLoad, intervalPct: number | null, busyPct: number): WorkerLoad {
  if (intervalPct === null) return { cpuPct: null, busy: false };
  const cpuPct = prev.cpuPct === null ? intervalPct : prev.cpuPct + SMOOTHING * (intervalPct - prev.cpuPct);
  if (busyPct >= 100) return { cpuPct, busy: false };
  const busy = prev.busy ? cpuPct >= busyPct - Math.min(BUSY_MARGIN_PCT, busyPct / 2) : cpuPct >= busyPct;
  return { cpuPct, busy };
}

/**
 * Reads every live worker's CPU clock on a timer and keeps each one's recent share of its core.
 * The consumer budget alone assumes every core is as fast as the benchmark's: on a host whose
 * speed swings (this VM's by 1.5×, README "Read the capacity figures with the host's speed"), or
 * with classrooms whose congestion control costs more than the budget assumed, a worker can hit
 * its core's limit well under its budget, and then every classroom on it loses packets. Placement
 * reads this so new classrooms go where there is CPU left.
 */
export class WorkerLoadWatch {
  private readonly last = new Map<number, CpuReading>();
  private readonly loads = new Map<number, WorkerLoad>();
  private timer: NodeJS.Timeout | null = null;
  private reading: Promise<void> | null = null;

  constructor(
    private readonly read: () => Promise<CpuReading[]>,
    private readonly opts: WorkerLoadOptions,
    private readonly log: Logger,
    private readonly consumersOf: (index: number) => number,
    /** Told every worker's load after each reading (load shedding, layerShedding.ts). */
    private readonly onLoad: (index: number, load: WorkerLoad) => void = () => {},
  ) {}

  start(): void {
    if (this.timer) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.opts.intervalMs);
    // Placement must not keep a process alive that is otherwise done.
    this.timer.unref();
  }

  stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    return this.reading ?? Promise.resolve();
  }

  loadOf(index: number): WorkerLoad {
    return this.loads.get(index) ?? { cpuPct: null, busy: false };
  }

  /** Takes one reading of every worker now (the timer does this; tests call it to wait for one). */
  sample(): Promise<void> {
    this.reading ??= this.readAll().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  private async readAll(): Promise<void> {
    let readings: CpuReading[];
    try {
      readings = await this.read();
    } catch (err) {
      // A worker closing or dying mid-read: the next tick reads the replacement.
      this.log.debug({ err }, 'worker CPU reading failed');
      return;
    }
    const seen = new Set<number>();
    for (const r of readings) {
      seen.add(r.index);
      const prev = this.last.get(r.index);
      this.last.set(r.index, r);
      const before = this.loadOf(r.index);
      // A first reading, or a replacement worker in the slot (its predecessor's clock says nothing
      // about it), gives no interval: the slot starts over.
      const load = nextLoad(before, prev ? cpuPctBetween(prev, r) : null, this.opts.busyPct);
      this.loads.set(r.index, load);
      this.logChange(r.index, before, load);
      this.onLoad(r.index, load);
    }
    for (const index of [...this.last.keys()]) {
      if (seen.has(index)) continue;
      this.last.delete(index);
      this.loads.delete(index);
    }
  }

  private logChange(index: number, before: WorkerLoad, after: WorkerLoad): void {
    if (before.busy === after.busy) return;
    const fields = { worker: index, cpuPct: Math.round(after.cpuPct ?? 0), busyPct: this.opts.busyPct, consumers: this.consumersOf(index) };
    if (after.busy) this.log.warn(fields, 'mediasoup worker busy: new classrooms go to a less loaded worker');
    else this.log.info(fields, 'mediasoup worker no longer busy');
  }
}
