import { describe, expect, it } from 'vitest';
import { DetourPath, SilentPath, STUCK_AFTER_MS, STUCK_RETRY_MS, StuckPath } from '../../client/lib/silentPath.js';

/** Feeds a transport's bytesReceived every 500 ms; returns the times (ms) at which it fired. */
function firings(bytesAt: (ms: number) => number, untilMs: number, watch = new SilentPath()): number[] {
  const out: number[] = [];
  for (let t = 0; t <= untilMs; t += 500) if (watch.sample(bytesAt(t), t)) out.push(t);
  return out;
}

/** Bytes that grow while `flowing(ms)` and stand still otherwise. */
function counter(flowing: (ms: number) => boolean): (ms: number) => number {
  let bytes = 0;
  return (ms) => (flowing(ms) ? (bytes += 1200) : bytes);
}

describe("a transport's silent path (client/lib/silentPath.ts)", () => {
  it('fires once, 2 s after a transport that received steadily goes quiet', () => {
    expect(firings(counter((t) => t < 10_000), 30_000)).toEqual([11_500]);
  });

  it('never fires while bytes keep arriving, however slowly (twice a second is enough)', () => {
    expect(firings(counter(() => true), 60_000)).toEqual([]);
  });

  it('rides out a quiet spell shorter than 2 s', () => {
    expect(firings(counter((t) => t < 10_000 || t >= 11_500), 30_000)).toEqual([]);
  });

  it('does not fire for a transport that has not yet received steadily (a stream just starting)', () => {
    // One reading, then nothing: the send transport of a page that stopped right after starting.
    expect(firings(counter((t) => t === 0 || t === 500), 10_000)).toEqual([]);
    // Bursts 1.5 s apart are not steady.
    expect(firings(counter((t) => t % 1_500 === 0 && t < 9_000), 20_000)).toEqual([]);
  });

  it('fires again for a second silence only after the path carried steadily again', () => {
    const flowing = (t: number) => t < 5_000 || (t >= 10_000 && t < 15_000) || (t >= 20_000 && t < 20_600);
    // Quiet from 5 s (fires at 6.5), steady again 10–15 s (fires at 16.5); 20 s is a blip, not steady.
    expect(firings(counter(flowing), 30_000)).toEqual([6_500, 16_500]);
  });
});

/** Feeds a watch a yes/no reading every 500 ms; returns the times (ms) at which it asked for an ICE restart. */
function restartsOf(watch: { sample(on: boolean, now: number): boolean }, on: (ms: number) => boolean, untilMs: number): number[] {
  const out: number[] = [];
  for (let t = 0; t <= untilMs; t += 500) if (watch.sample(on(t), t)) out.push(t);
  return out;
}

describe("a transport that cannot connect (client/lib/silentPath.ts StuckPath)", () => {
  const retries = (connected: (ms: number) => boolean, untilMs: number) => restartsOf(new StuckPath(), connected, untilMs);

  it(`restarts ICE ${STUCK_AFTER_MS / 1000} s after it stopped being connected, then every ${STUCK_RETRY_MS / 1000} s`, () => {
    expect(retries(() => false, 30_000)).toEqual([12_000, 17_000, 22_000, 27_000]);
    expect(retries((t) => t < 3_000, 30_000)).toEqual([15_000, 20_000, 25_000, 30_000]);
  });

  it('leaves a connected transport alone, and a short loss of connection too', () => {
    expect(retries(() => true, 60_000)).toEqual([]);
    expect(retries((t) => t < 5_000 || t > 15_000, 60_000)).toEqual([]);
  });

  it('starts counting afresh after the transport connected again', () => {
    expect(retries((t) => t >= 13_000 && t < 14_000, 30_000)).toEqual([12_000, 26_000]);
  });
});

describe('a transport on TCP or a relay looks for UDP again (client/lib/silentPath.ts DetourPath)', () => {
  const probes = (detour: (ms: number) => boolean, untilMs: number) => restartsOf(new DetourPath(), detour, untilMs);

  it('probes 15 s after settling on TCP, then backs off to every 2 minutes while UDP stays blocked', () => {
    expect(probes(() => true, 600_000)).toEqual([15_000, 45_000, 105_000, 225_000, 345_000, 465_000, 585_000]);
  });

  it('never probes a transport on UDP', () => {
    expect(probes(() => false, 600_000)).toEqual([]);
  });

  it('starts afresh after a probe found UDP and a later failure sent it back to TCP', () => {
    // On TCP from 0, back on UDP at 20 s (after the first probe), on TCP again from 100 s.
    expect(probes((t) => t < 20_000 || t >= 100_000, 200_000)).toEqual([15_000, 115_000, 145_000]);
  });
});
