import { describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logger.js';
import { choosePlacement, fillOf, type PlacementCandidate } from '../../server/media/placement.js';
import { BUSY_MARGIN_PCT, cpuPctBetween, nextLoad, procCpuMs, WorkerLoadWatch, type CpuReading } from '../../server/media/workerLoad.js';

const worker = (over: Partial<PlacementCandidate>): PlacementCandidate => ({ consumers: 0, budget: 400, uplinks: 0, cpuPct: null, busy: false, ...over });

describe('a worker’s CPU share', () => {
  it('is CPU time over wall time between two readings of the same process', () => {
    const a: CpuReading = { index: 0, pid: 7, cpuMs: 1000, atMs: 10_000 };
    expect(cpuPctBetween(a, { ...a, cpuMs: 1600, atMs: 11_000 })).toBeCloseTo(60);
    // A replacement process, time that did not move, a clock that went back: no figure.
    expect(cpuPctBetween(a, { ...a, pid: 8, cpuMs: 1600, atMs: 11_000 })).toBeNull();
    expect(cpuPctBetween(a, { ...a, cpuMs: 1600 })).toBeNull();
    expect(cpuPctBetween(a, { ...a, cpuMs: 900, atMs: 11_000 })).toBeNull();
  });

  it('is smoothed, and turns busy at the line and idle again only the margin under it', () => {
    let load = nextLoad({ cpuPct: null, busy: false }, 40, 75);
    expect(load).toEqual({ cpuPct: 40, busy: false });
    // One spike moves it half way, not over the line.
    load = nextLoad(load, 100, 75);
    expect(load).toEqual({ cpuPct: 70, busy: false });
    load = nextLoad(load, 90, 75);
    expect(load).toEqual({ cpuPct: 80, busy: true });
    // Under the line but within the margin: still busy.
    load = nextLoad(load, 60, 75);
    expect(load.cpuPct).toBe(70);
    expect(load.busy).toBe(true);
    load = nextLoad(load, 50, 75);
    expect(load.cpuPct).toBeLessThan(75 - BUSY_MARGIN_PCT);
    expect(load.busy).toBe(false);
    // 100 switches the line off; an interval without a figure starts over.
    expect(nextLoad({ cpuPct: 99, busy: false }, 99, 100)).toEqual({ cpuPct: 99, busy: false });
    expect(nextLoad({ cpuPct: 90, busy: true }, null, 75)).toEqual({ cpuPct: null, busy: false });
  });
});

describe('a worker’s CPU clock from /proc', () => {
  it('reads user + system ticks past a command name with spaces and parentheses', () => {
    const stat = '4242 (mediasoup (w) 1) R 1 1 1 0 -1 4194304 121 0 2 0 1234 566 0 0 20 0 1 0 1884158 3133440 377';
    expect(procCpuMs(4242, () => stat)).toBe(18_000);
    expect(procCpuMs(4242, () => '4242 (x) R 1 2')).toBeNull();
    expect(procCpuMs(4242, () => { throw new Error('ENOENT'); })).toBeNull();
    // This process's own clock: a real file, a sane figure.
    const own = procCpuMs(process.pid);
    expect(own).not.toBeNull();
    expect(own!).toBeGreaterThanOrEqual(0);
  });
});

describe('placing a classroom', () => {
  it('passes over a busy worker even when it carries fewer classrooms', () => {
    const busy = worker({ consumers: 20, cpuPct: 82, busy: true });
    const quiet = worker({ consumers: 200, cpuPct: 30 });
    expect(choosePlacement([busy, quiet], 75)).toEqual({ index: 1, crowded: false });
    // Without the CPU line it would have gone by count.
    expect(choosePlacement([{ ...busy, busy: false }, quiet], 100)).toEqual({ index: 0, crowded: false });
  });

  it('weighs CPU and consumers, whichever is nearer its limit', () => {
    expect(fillOf(worker({ consumers: 100, cpuPct: 60 }), 75)).toBeCloseTo(0.8);
    expect(fillOf(worker({ consumers: 300, cpuPct: 15 }), 75)).toBeCloseTo(0.75);
    expect(fillOf(worker({ consumers: 100, cpuPct: null }), 75)).toBeCloseTo(0.25);
    expect(choosePlacement([worker({ consumers: 100, cpuPct: 60 }), worker({ consumers: 300, cpuPct: 15 })], 75).index).toBe(1);
  });

  it('when every worker is over budget or busy, takes the least full and says so', () => {
    const over = worker({ consumers: 500, cpuPct: 50 });
    const busy = worker({ consumers: 100, cpuPct: 90, busy: true });
    expect(choosePlacement([over, busy], 75)).toEqual({ index: 1, crowded: true });
  });

  it('on a tie prefers a worker that receives no uplink', () => {
    const withTeacher = worker({ consumers: 10, uplinks: 2 });
    const without = worker({ consumers: 10 });
    expect(choosePlacement([withTeacher, without], 75).index).toBe(1);
    expect(choosePlacement([without, withTeacher], 75).index).toBe(0);
  });

  it('refuses an empty pool', () => {
    expect(() => choosePlacement([], 75)).toThrow();
  });
});

describe('WorkerLoadWatch', () => {
  it('follows each slot, starts over for a replacement process, and forgets a slot that went away', async () => {
    let readings: CpuReading[] = [];
    const watch = new WorkerLoadWatch(async () => readings, { intervalMs: 60_000, busyPct: 75 }, createLogger('silent'), () => 0);
    readings = [
      { index: 0, pid: 10, cpuMs: 0, atMs: 0 },
      { index: 1, pid: 11, cpuMs: 0, atMs: 0 },
    ];
    await watch.sample();
    expect(watch.loadOf(0)).toEqual({ cpuPct: null, busy: false });
    readings = [
      { index: 0, pid: 10, cpuMs: 900, atMs: 1000 },
      { index: 1, pid: 11, cpuMs: 100, atMs: 1000 },
    ];
    await watch.sample();
    expect(watch.loadOf(0)).toEqual({ cpuPct: 90, busy: true });
    expect(watch.loadOf(1)).toEqual({ cpuPct: 10, busy: false });
    // Slot 0's worker died and was replaced; slot 1 is gone.
    readings = [{ index: 0, pid: 12, cpuMs: 5, atMs: 2000 }];
    await watch.sample();
    expect(watch.loadOf(0)).toEqual({ cpuPct: null, busy: false });
    expect(watch.loadOf(1)).toEqual({ cpuPct: null, busy: false });
    await watch.stop();
  });

  it('keeps what it knew when a reading fails', async () => {
    let fail = false;
    let t = 0;
    const watch = new WorkerLoadWatch(
      async () => {
        if (fail) throw new Error('worker closed');
        t += 1000;
        return [{ index: 0, pid: 1, cpuMs: t * 0.5, atMs: t }];
      },
      { intervalMs: 60_000, busyPct: 75 },
      createLogger('silent'),
      () => 0,
    );
    await watch.sample();
    await watch.sample();
    expect(watch.loadOf(0).cpuPct).toBeCloseTo(50);
    fail = true;
    await watch.sample();
    expect(watch.loadOf(0).cpuPct).toBeCloseTo(50);
    await watch.stop();
  });
});
