import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DOWNLINK_PROBE_TIMING, DownlinkProber, type ProbeTarget } from '../../server/media/downlinkProbe.js';

/**
 * A classroom's downlink as mediasoup would handle it: a probe up to the lowered maximum raises
 * the estimate to what the link carries, and the classroom wants more while its estimate is
 * below what its layer needs.
 */
function downlink(o: { estimate: number; capacity: number; need: number; loss?: number }) {
  const calls: { at: number; bps: number }[] = [];
  const link = { ...o, loss: o.loss ?? 0, closed: false, reads: 0 };
  const target: ProbeTarget = {
    id: 't1',
    wantsMore: () => link.estimate < link.need,
    link: async () => {
      link.reads++;
      return link.closed ? null : { estimateBps: link.estimate, lossFraction: link.loss };
    },
    setMax: async (bps) => {
      calls.push({ at: Date.now(), bps });
      if (link.closed) throw new Error('transport closed');
      if (bps > 0) link.estimate = Math.max(link.estimate, Math.min(bps, link.capacity));
    },
  };
  return { link, target, calls };
}

describe('probing a classroom downlink stuck below its layer (server/media/downlinkProbe.ts)', () => {
  const { checkMs, firstAfterMs, cleanForMs, againMs, maxIntervalMs, holdMs } = DOWNLINK_PROBE_TIMING;
  let started: number;
  beforeEach(() => {
    vi.useFakeTimers();
    started = Date.now();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('leaves alone a classroom that receives its layer: not even its stats are read', async () => {
    const d = downlink({ estimate: 2_400_000, capacity: 10_000_000, need: 1_000_000 });
    const p = new DownlinkProber(() => [d.target]);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(d.calls).toEqual([]);
    expect(d.link.reads).toBe(0);
    expect(p.nudges).toBe(0);
    p.close();
  });

  it('on a clean link, lowers the maximum to twice the estimate, lifts it a moment later, and again while it helps', async () => {
    const d = downlink({ estimate: 250_000, capacity: 10_000_000, need: 1_000_000 });
    const p = new DownlinkProber(() => [d.target]);
    await vi.advanceTimersByTimeAsync(30_000);
    // 250 → 500 → 1,000 kbit/s: two nudges, each a lowered maximum and then no limit.
    expect(d.calls.map((c) => c.bps)).toEqual([500_000, 0, 1_000_000, 0]);
    const [first, lifted, second] = d.calls.map((c) => c.at - started);
    // Below its layer and clean since the first look (one check in), for 3 s.
    expect(first).toBe(checkMs + Math.max(firstAfterMs, cleanForMs));
    expect(lifted! - first!).toBe(holdMs);
    expect(second! - first!).toBe(againMs);
    expect(p.nudges).toBe(2);
    p.close();
  });

  it('never probes a link that keeps losing packets, nor one that paused its loss for less than 3 s', async () => {
    const d = downlink({ estimate: 100_000, capacity: 300_000, need: 1_000_000, loss: 0.04 });
    const p = new DownlinkProber(() => [d.target]);
    await vi.advanceTimersByTimeAsync(20_000);
    d.link.loss = 0;
    await vi.advanceTimersByTimeAsync(cleanForMs - checkMs);
    d.link.loss = 0.02;
    await vi.advanceTimersByTimeAsync(20_000);
    expect(d.calls).toEqual([]);
    expect(d.link.reads).toBeGreaterThan(30);
    // The loss stops for good (the weak spell passed): probed within a few seconds.
    d.link.loss = 0;
    await vi.advanceTimersByTimeAsync(cleanForMs + 2 * checkMs);
    expect(d.calls.map((c) => c.bps)).toEqual([200_000, 0]);
    p.close();
  });

  it('probes ever more rarely while probes find no more bandwidth, up to every 12 s', async () => {
    const d = downlink({ estimate: 300_000, capacity: 300_000, need: 1_000_000 });
    const p = new DownlinkProber(() => [d.target]);
    await vi.advanceTimersByTimeAsync(60_000);
    const at = d.calls.filter((c) => c.bps > 0).map((c) => c.at - started);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    // A second try 2 s after the first; that one raised nothing either, so then 4 s, 8, and 12 at most.
    expect(gaps.slice(0, 5)).toEqual([againMs, 2 * againMs, 4 * againMs, maxIntervalMs, maxIntervalMs]);
    p.close();
  });

  it('starts afresh once the classroom has its layer, and forgets a transport that is gone', async () => {
    const d = downlink({ estimate: 300_000, capacity: 300_000, need: 1_000_000 });
    const targets = [d.target];
    const p = new DownlinkProber(() => targets);
    await vi.advanceTimersByTimeAsync(20_000);
    const before = d.calls.length;
    d.link.need = 200_000; // 流畅: the lowest layer fits
    await vi.advanceTimersByTimeAsync(20_000);
    expect(d.calls.length).toBe(before);
    d.link.need = 1_000_000;
    await vi.advanceTimersByTimeAsync(checkMs + firstAfterMs + holdMs);
    expect(d.calls.length).toBe(before + 2);
    targets.length = 0;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(d.calls.length).toBe(before + 2);
    p.close();
  });

  it('survives a transport that closes during a nudge, and stops with close()', async () => {
    const d = downlink({ estimate: 250_000, capacity: 10_000_000, need: 10_000_000 });
    const p = new DownlinkProber(() => [d.target]);
    await vi.advanceTimersByTimeAsync(checkMs + firstAfterMs);
    expect(d.calls.map((c) => c.bps)).toEqual([500_000]);
    d.link.closed = true; // lifting the limit now fails: harmless, and no unhandled rejection
    await vi.advanceTimersByTimeAsync(holdMs);
    expect(d.calls.map((c) => c.bps)).toEqual([500_000, 0]);
    d.link.closed = false;
    p.close();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(d.calls).toHaveLength(2);
  });
});
