import { describe, expect, it } from 'vitest';
import { LayerShedding, SHED_MARGIN_PCT, SHED_TIMING } from '../../server/media/layerShedding.js';

const { settleMs, minHoldMs } = SHED_TIMING;

/** Feeds readings one second apart from `from`; returns the time after the last one. */
function feed(s: LayerShedding, from: number, cpus: number[], consumers = 400): number {
  let at = from;
  for (const cpuPct of cpus) {
    s.update({ cpuPct, consumers, atMs: at });
    at += 1000;
  }
  return at;
}

describe('shedding layers on a worker at its limit', () => {
  it('caps at 640 px at the line, then 320 px if that did not bring it under', () => {
    const s = new LayerShedding(90);
    expect(s.update({ cpuPct: 89, consumers: 400, atMs: 0 })).toBe(false);
    expect(s.cap).toBeNull();
    expect(s.update({ cpuPct: 92, consumers: 400, atMs: 1000 })).toBe(true);
    expect(s.cap).toBe(1);
    // Still at the line while the switch waits for key frames: no second step yet.
    expect(feed(s, 2000, [95, 94, 93])).toBe(5000);
    expect(s.cap).toBe(1);
    // Settled and still at the line: the lowest layer.
    expect(s.update({ cpuPct: 91, consumers: 400, atMs: 1000 + settleMs })).toBe(true);
    expect(s.cap).toBe(0);
    // Nothing lower to give: it stays there.
    feed(s, 1000 + 2 * settleMs, [95, 95, 95, 95, 95, 95, 95]);
    expect(s.cap).toBe(0);
  });

  it('lifts a step only when the worker would be under the line by the margin with that load back', () => {
    const s = new LayerShedding(90);
    s.update({ cpuPct: 90, consumers: 400, atMs: 0 });
    expect(s.cap).toBe(1);
    // The cap took the worker from 90% to 40%: it saved 50 points at 400 consumers.
    let at = feed(s, settleMs, new Array(minHoldMs / 1000).fill(40));
    expect(s.cap).toBe(1);
    // Half the classrooms leave: 20% now, 25 points to come back → 45% < 80%: lifted.
    expect(s.savedPct(200)).toBeCloseTo(25);
    expect(s.update({ cpuPct: 20, consumers: 200, atMs: at })).toBe(true);
    expect(s.cap).toBeNull();
    // A second worker with the same load, but its classrooms stay: 40 + 50 is not under 80.
    const t = new LayerShedding(90);
    t.update({ cpuPct: 90, consumers: 400, atMs: 0 });
    at = feed(t, settleMs, new Array(3 * minHoldMs / 1000).fill(40));
    expect(t.cap).toBe(1);
    // Down to 29%: 29 + 50 = 79, under 90 − the margin.
    expect(90 - SHED_MARGIN_PCT).toBe(80);
    expect(t.update({ cpuPct: 29, consumers: 400, atMs: at })).toBe(true);
    expect(t.cap).toBeNull();
  });

  it('counts what a step saved per consumer, so a join storm during the step does not hide it', () => {
    const s = new LayerShedding(90);
    s.update({ cpuPct: 90, consumers: 400, atMs: 0 });
    // 100 more classrooms came while the cap settled: without it the worker would be at 112.5%.
    s.update({ cpuPct: 50, consumers: 500, atMs: settleMs });
    expect(s.savedPct(500)).toBeCloseTo(62.5);
  });

  it('lifts on an idle worker however much the step seemed to save', () => {
    const s = new LayerShedding(90);
    s.update({ cpuPct: 95, consumers: 400, atMs: 0 });
    // Read off a noisy figure (the load itself dropped meanwhile): 65 points "saved".
    s.update({ cpuPct: 30, consumers: 400, atMs: settleMs });
    expect(s.savedPct(400)).toBeCloseTo(65);
    // The teacher's stream stops: 2% now. Lifting can at most triple that, whatever was saved.
    expect(s.update({ cpuPct: 2, consumers: 400, atMs: minHoldMs })).toBe(true);
    expect(s.cap).toBeNull();
  });

  it('holds each step a while, and lifts the deeper one first, one at a time', () => {
    const s = new LayerShedding(90);
    s.update({ cpuPct: 95, consumers: 400, atMs: 0 });
    s.update({ cpuPct: 92, consumers: 400, atMs: settleMs });
    expect(s.cap).toBe(0);
    // The worker empties at once; both steps wait their hold, and come off one by one.
    let at = feed(s, settleMs + 1000, new Array(minHoldMs / 1000 - 2).fill(5), 10);
    expect(s.cap).toBe(0);
    at = feed(s, at, [5, 5], 10);
    expect(s.cap).toBe(1);
    at = feed(s, at, new Array(minHoldMs / 1000 - 1).fill(5), 10);
    expect(s.cap).toBe(1);
    feed(s, at, [5], 10);
    expect(s.cap).toBeNull();
  });

  it('does nothing at 100, or before the worker has been read twice', () => {
    const off = new LayerShedding(100);
    expect(off.update({ cpuPct: 100, consumers: 400, atMs: 0 })).toBe(false);
    expect(off.cap).toBeNull();
    const on = new LayerShedding(90);
    expect(on.update({ cpuPct: null, consumers: 400, atMs: 0 })).toBe(false);
    expect(on.cap).toBeNull();
  });
});
