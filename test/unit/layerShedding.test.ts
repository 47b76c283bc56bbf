import { describe, expect, it } from 'vitest';
import { LayerShedding, LIFT_GROWTH, SHED_MARGIN_PCT, SHED_TIMING } from '../../server/media/layerShedding.js';

const { settleMs, minHoldMs } = SHED_TIMING;

/** Feeds one reading a second from `from`; returns the time after the last one. */
function feed(s: LayerShedding, from: number, cpus: number[]): number {
  let at = from;
  for (const cpuPct of cpus) {
    s.update({ cpuPct, atMs: at });
    at += 1000;
  }
  return at;
}

const seconds = (n: number, cpu: number) => new Array<number>(n).fill(cpu);

describe('shedding layers on a worker at its limit', () => {
  it('caps at 640 px at the line, then 320 px if that did not bring it under', () => {
    const s = new LayerShedding(90);
    expect(s.update({ cpuPct: 89, atMs: 0 })).toBe(false);
    expect(s.cap).toBeNull();
    expect(s.update({ cpuPct: 92, atMs: 1000 })).toBe(true);
    expect(s.cap).toBe(1);
    // Still at the line while the switch waits for key frames: no second step yet.
    feed(s, 2000, seconds(settleMs / 1000 - 1, 95));
    expect(s.cap).toBe(1);
    // Settled and still at the line: the lowest layer.
    expect(s.update({ cpuPct: 95, atMs: 1000 + settleMs })).toBe(true);
    expect(s.cap).toBe(0);
    // Nothing lower to give: it stays there.
    feed(s, 1000 + 2 * settleMs, seconds(20, 95));
    expect(s.cap).toBe(0);
  });

  it('waits while the CPU is still falling from the last step, though over the line', () => {
    const s = new LayerShedding(90);
    s.update({ cpuPct: 99, atMs: 0 });
    expect(s.cap).toBe(1);
    // A saturated worker answers the switch late: past settleMs it is only now coming down.
    let at = feed(s, 1000, seconds(settleMs / 1000 - 1, 99));
    at = feed(s, at, [97, 94, 91]);
    expect(s.cap).toBe(1);
    at = feed(s, at, [60, 45]);
    expect(s.cap).toBe(1);
    // Had it stopped falling over the line, the next step would come.
    const t = new LayerShedding(90);
    t.update({ cpuPct: 99, atMs: 0 });
    feed(t, 1000, [...seconds(settleMs / 1000 - 1, 99), 97, 96.5]);
    expect(t.cap).toBe(0);
  });

  it('lifts a step only when the layer above would, at its dearest, leave the worker under the line by the margin', () => {
    const line = 90 - SHED_MARGIN_PCT;
    const s = new LayerShedding(90);
    s.update({ cpuPct: 93, atMs: 0 });
    // At 640 px the worker uses 40%: the top layer could cost 2.8× that. Not lifted, however long.
    let at = feed(s, 1000, seconds(3 * minHoldMs / 1000, 40));
    expect(s.cap).toBe(1);
    // Classrooms leave: 28% × 2.8 = 78.4 < 80.
    expect(28 * LIFT_GROWTH[1]!).toBeLessThan(line);
    expect(s.update({ cpuPct: 28, atMs: at })).toBe(true);
    expect(s.cap).toBeNull();
    // From 320 px the 640-px layer adds at most 1.3×: 60% is room enough.
    const t = new LayerShedding(90);
    t.update({ cpuPct: 95, atMs: 0 });
    t.update({ cpuPct: 95, atMs: settleMs });
    expect(t.cap).toBe(0);
    feed(t, settleMs + 1000, seconds(minHoldMs / 1000, 60));
    expect(t.cap).toBe(1);
  });

  it('holds each step a while, and lifts the deeper one first, one at a time', () => {
    const s = new LayerShedding(90);
    s.update({ cpuPct: 95, atMs: 0 });
    s.update({ cpuPct: 95, atMs: settleMs });
    expect(s.cap).toBe(0);
    // The worker empties at once; each step waits its hold after the last move.
    let at = feed(s, settleMs + 1000, seconds(minHoldMs / 1000 - 1, 5));
    expect(s.cap).toBe(0);
    at = feed(s, at, [5]);
    expect(s.cap).toBe(1);
    at = feed(s, at, seconds(minHoldMs / 1000 - 1, 5));
    expect(s.cap).toBe(1);
    feed(s, at, [5]);
    expect(s.cap).toBeNull();
  });

  it('does nothing at 100, or before the worker has been read twice', () => {
    const off = new LayerShedding(100);
    expect(off.update({ cpuPct: 100, atMs: 0 })).toBe(false);
    expect(off.cap).toBeNull();
    const on = new LayerShedding(90);
    expect(on.update({ cpuPct: null, atMs: 0 })).toBe(false);
    expect(on.cap).toBeNull();
  });
});
