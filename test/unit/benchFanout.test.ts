import { describe, expect, it } from 'vitest';
import type { StepResult } from '../../scripts/bench/ramp.js';
import { classroomsPerCore, percentile, rssSlopeMB } from '../../scripts/bench/results.js';
import { lossPctBetween, SeqGapTracker } from '../../scripts/bench/seqGaps.js';

function rtp(seq: number, ssrc: number, pt = 101): Buffer {
  const b = Buffer.alloc(20);
  b[0] = 0x80;
  b[1] = pt;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

describe('bench-fanout helpers', () => {
  it('counts sequence gaps per SSRC, across the 16-bit wrap, ignoring RTCP', () => {
    const t = new SeqGapTracker();
    for (const seq of [65533, 65534, 65535, 0, 2, 3]) t.onDatagram(rtp(seq, 1)); // 1 lost (seq 1)
    for (const seq of [10, 11, 12]) t.onDatagram(rtp(seq, 2, 100));
    t.onDatagram(rtp(999, 1, 72)); // an RTCP SR must not count
    expect(t.totals()).toEqual({ expected: 10, received: 9 });
    expect(t.streamCount).toBe(2);
    expect(lossPctBetween({ expected: 0, received: 0 }, t.totals())).toBeCloseTo(10);
    expect(lossPctBetween(t.totals(), t.totals())).toBeNull();
  });

  const step = (classrooms: number, cpu: number, loss: number | null, rss: number): StepResult =>
    ({ classrooms, workerCpuPct: cpu, sampledLossPct: loss, serverRssMB: rss, workerRssMB: 10 }) as StepResult;

  it('picks the largest step under both bars, and the RSS slope', () => {
    const steps = [step(100, 40, 0, 100), step(200, 80, 0.1, 150), step(300, 84, 0.6, 200), step(400, 95, 0, 250)];
    expect(classroomsPerCore(steps)?.classrooms).toBe(200);
    expect(rssSlopeMB(steps)).toBe(0.5);
  });

  it('takes nearest-rank percentiles', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 95)).toBe(95);
    expect(percentile([], 95)).toBeNull();
  });
});
