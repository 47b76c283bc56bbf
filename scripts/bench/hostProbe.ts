import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { buildC } from './cbuild.js';
import { median } from './cli.js';
import { killOnExit, onCleanup } from './cleanup.js';
import { round, sleep } from './system.js';

/**
 * The host's speed beside each measurement (hostprobe.c): a fixed operation, SRTP-like
 * encryption of a 1,200-byte packet plus its send to an unread loopback socket, timed in the
 * probe's own CPU time on the worker's core at SCHED_IDLE. This VM's speed changes by the hour
 * (the same binaries took 76.6% or 46% of a core for 300 classrooms), so a worker figure is
 * compared between runs as a multiple of the probe's. The probe's working set stays in the
 * core's caches, so it misses neighbours' use of the shared caches and memory, which the
 * worker's does not (README "What the probe misses").
 */
export interface ProbeWindow {
  /** Median over the window's ticks of µs of the probe's CPU per operation (each tick's fastest batch); null without ticks. */
  usPerOp: number | null;
  minUs: number | null;
  maxUs: number | null;
  ticks: number;
}

/** A window whose probe ran this much slower than the run's fastest is taken for the host's slow state (~3.4 against ~5.0 µs here). */
export const SLOW_HOST_FACTOR = 1.2;

/** Each tick's work: 20 batches of 50 operations, ~3.5 ms on this host, every 250 ms: ~1.4% of the core. */
const BATCHES_PER_TICK = 20;
const TICK_MS = 250;
/** Its sinks' buffers fill first (queued, not yet dropped packets cost more): leave that out. */
const WARMUP_MS = 2_000;
/** How far back waitUntilFast looks. */
const RECENT_MS = 3_000;
/** An upper bound on one run; the probe is stopped long before. */
const MAX_SECONDS = 6 * 3600;

const TickLine = z.object({ atMs: z.number().int(), ops: z.number().int().positive(), cpuNs: z.number().int().nonnegative() });

interface Tick {
  atMs: number;
  usPerOp: number;
}

export class HostProbe {
  private readonly ticks: Tick[] = [];
  private readonly startedAt = Date.now();

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const parsed = TickLine.safeParse(safeJson(line));
      if (parsed.success) this.ticks.push({ atMs: parsed.data.atMs, usPerOp: parsed.data.cpuNs / parsed.data.ops / 1000 });
    });
  }

  /** Starts the probe pinned to `core`; null (with the reason on stderr) if it cannot be built or run. */
  static async start(core: number): Promise<HostProbe | null> {
    try {
      const bin = await buildC('hostprobe', ['-lcrypto']);
      const child = spawn('taskset', ['-c', String(core), bin, String(BATCHES_PER_TICK), String(TICK_MS), String(MAX_SECONDS)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const probe = new HostProbe(child);
      if (child.pid !== undefined) killOnExit(child.pid);
      onCleanup('host probe', () => probe.stop());
      return probe;
    } catch (err) {
      process.stderr.write(`[bench] host probe unavailable: ${(err as Error).message.split('\n')[0]}\n`);
      return null;
    }
  }

  /** The probe's figures between two Date.now() instants. */
  window(fromMs: number, toMs: number): ProbeWindow {
    const from = Math.max(fromMs, this.startedAt + WARMUP_MS);
    return summariseTicks(this.ticks.filter((t) => t.atMs >= from && t.atMs <= toMs));
  }

  /**
   * Waits until the last few seconds' ticks show the host within SLOW_HOST_FACTOR of `fastestUs`;
   * false if it stayed slower for `maxMs`.
   */
  async waitUntilFast(fastestUs: number, maxMs: number): Promise<boolean> {
    for (const deadline = Date.now() + maxMs; Date.now() < deadline; ) {
      await sleep(1_000);
      const now = Date.now();
      const recent = this.window(now - RECENT_MS, now);
      if (recent.usPerOp !== null && recent.ticks >= 3 && recent.usPerOp <= fastestUs * SLOW_HOST_FACTOR) return true;
    }
    return false;
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
  }
}

export function summariseTicks(ticks: Tick[]): ProbeWindow {
  const us = ticks.map((t) => t.usPerOp);
  if (us.length === 0) return { usPerOp: null, minUs: null, maxUs: null, ticks: 0 };
  return { usPerOp: round(median(us), 3), minUs: round(Math.min(...us), 3), maxUs: round(Math.max(...us), 3), ticks: us.length };
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}
