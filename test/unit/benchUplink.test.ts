import { describe, expect, it } from 'vitest';
import { summarizeWindow, type SendSample } from '../../scripts/bench/uplink.js';

const sample = (at: number, estimateBps: number | null, r2Bytes: number, packets: number, delayS: number): SendSample => ({
  at,
  estimateBps,
  bytesByRid: new Map([
    ['r0', r2Bytes / 10],
    ['r2', r2Bytes],
  ]),
  widthByRid: new Map([
    ['r0', 320],
    ['r2', 1280],
  ]),
  packetsSent: packets,
  sendDelayS: delayS,
});

describe('bench-uplink', () => {
  it("sums up the teacher's estimate, sending rate per layer and pacer over a window", () => {
    const w = summarizeWindow([
      sample(0, 2_000_000, 0, 0, 0),
      sample(1000, null, 225_000, 200, 4),
      sample(2000, 1_000_000, 450_000, 400, 8),
    ]);
    expect(w.seconds).toBe(2);
    // The second sample had no estimate yet: it is left out, not counted as zero.
    expect(w.estimateKbps).toEqual({ min: 1000, median: 1500, max: 2000 });
    expect(w.sentKbpsByRid).toEqual({ r0: 180, r2: 1800 });
    expect(w.widthByRid).toEqual({ r0: 320, r2: 1280 });
    // 8 s of send delay over 400 packets.
    expect(w.pacerMs).toBe(20);
  });

  it('gives no figures for an empty window', () => {
    expect(summarizeWindow([]).estimateKbps).toEqual({ min: null, median: null, max: null });
    expect(summarizeWindow([sample(0, 1, 0, 0, 0)]).seconds).toBe(0);
  });
});
