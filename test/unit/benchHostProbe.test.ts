import { afterAll, describe, expect, it } from 'vitest';
import { HostProbe, summariseTicks } from '../../scripts/bench/hostProbe.js';
import type { StepResult } from '../../scripts/bench/ramp.js';
import { pickAttempt, probeOps } from '../../scripts/bench/ramp.js';
import { hostSpeed } from '../../scripts/bench/results.js';
import { sleep } from '../../scripts/bench/system.js';

const step = (classrooms: number, cpu: number, usPerPacket: number, probeUs: number | null): StepResult => {
  const hostProbe = probeUs === null ? null : { usPerOp: probeUs, minUs: probeUs, maxUs: probeUs, ticks: 10 };
  return {
    classrooms,
    workerCpuPct: cpu,
    sampledLossPct: 0,
    classroomPacketsPerS: 250,
    workerUsPerPacket: usPerPacket,
    hostProbe,
    workerProbeOpsPerPacket: probeOps(usPerPacket, hostProbe),
  } as StepResult;
};

describe('bench host probe', () => {
  let probe: HostProbe | null = null;
  afterAll(() => probe?.stop());

  it('builds the C probe and reads its ticks: a positive CPU time per operation, warm-up left out', { timeout: 60_000 }, async () => {
    const started = Date.now();
    probe = await HostProbe.start(0);
    expect(probe).not.toBeNull();
    // At SCHED_IDLE the probe only runs when the core is otherwise free: on a busy CI core that can take a while.
    let w = probe!.window(started, Date.now());
    for (const deadline = Date.now() + 30_000; w.ticks < 2 && Date.now() < deadline; w = probe!.window(started, Date.now())) await sleep(250);
    expect(probe!.window(started, started + 1_500).ticks).toBe(0);
    expect(w.ticks).toBeGreaterThanOrEqual(2);
    expect(w.usPerOp).toBeGreaterThan(0);
    expect(w.minUs!).toBeLessThanOrEqual(w.usPerOp!);
    expect(w.maxUs!).toBeGreaterThanOrEqual(w.usPerOp!);
    // Waiting for the host to be fast: at once against a generous bar, never against an impossible one.
    expect(await probe!.waitUntilFast(1_000, 30_000)).toBe(true);
    expect(await probe!.waitUntilFast(0.000_001, 1_500)).toBe(false);
  });

  it('summarises ticks by their median, and says so when there are none', () => {
    expect(summariseTicks([3, 5, 4].map((usPerOp, i) => ({ atMs: i, usPerOp })))).toEqual({ usPerOp: 4, minUs: 3, maxUs: 5, ticks: 3 });
    expect(summariseTicks([])).toEqual({ usPerOp: null, minUs: null, maxUs: null, ticks: 0 });
  });

  it('divides the host speed out of the worker cost and projects the capacity at the fastest and slowest speed', () => {
    // The same worker code on a host in its fast (3.5 µs) and slow (5 µs) state: 2 probe ops per packet either way.
    const steps = [step(100, 17.5, 7, 3.5), step(200, 50, 10, 5), step(300, 52.5, 7, 3.5), step(400, 100, 10, 5)];
    expect(steps.map((s) => s.workerProbeOpsPerPacket)).toEqual([2, 2, 2, 2]);
    const h = hostSpeed(steps)!;
    expect(h.atClassrooms).toBe(300);
    expect(h.probeUsPerOp).toEqual({ median: 4.25, fastest: 3.5, slowest: 5 });
    // 850,000 µs/s ÷ (2 ops × 3.5 µs × 250 packets/s) = 485.7; at 5 µs 340.
    expect(h.projected).toEqual([
      { probeUsPerOp: 3.5, classrooms: 485 },
      { probeUsPerOp: 5, classrooms: 340 },
    ]);
    // 500 classrooms at 3.5 µs: 850,000 ÷ (500 × 3.5 × 250) = 1.94 ops per packet.
    expect(h.targetProbeOpsPerPacket).toBe(1.94);
    expect(h.holdsSetAside).toBe(0);
    expect(hostSpeed([step(100, 20, 7, null)])).toBeNull();
  });

  it('keeps the hold with the fastest host and records the slow ones as set aside', () => {
    const slow = step(300, 90, 10, 5);
    const fast = step(300, 60, 7, 3.5);
    const picked = pickAttempt([slow, fast]);
    expect(picked).toMatchObject({ workerCpuPct: 60, hostProbe: { usPerOp: 3.5 } });
    expect(picked.setAside).toEqual([{ workerCpuPct: 90, workerUsPerPacket: 10, sampledLossPct: 0, hostProbeUsPerOp: 5 }]);
    // Without probe readings the first hold stands.
    expect(pickAttempt([step(300, 70, 8, null)]).setAside).toEqual([]);
    expect(hostSpeed([step(100, 17.5, 7, 3.5), picked])!.holdsSetAside).toBe(1);
  });
});
