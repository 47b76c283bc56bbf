import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { describeEndpoints, ReachWatch, UNREACHABLE_MS } from '../../client/lib/mediaReach.js';

const stored = new Map<string, string>();
vi.stubGlobal('localStorage', {
  getItem: (k: string) => stored.get(k) ?? null,
  setItem: (k: string, v: string) => void stored.set(k, v),
});
afterAll(() => vi.unstubAllGlobals());
beforeEach(() => stored.clear());

describe('the banner that says media cannot reach the server (client/lib/mediaReach.ts)', () => {
  it(`shows only after ${UNREACHABLE_MS / 1000} s of wanting media that does not flow, and counts on`, () => {
    const w = new ReachWatch();
    expect(w.update(true, false, 0)).toBeNull();
    expect(w.update(true, false, UNREACHABLE_MS - 1)).toBeNull();
    expect(w.update(true, false, UNREACHABLE_MS)).toBe(UNREACHABLE_MS);
    expect(w.update(true, false, UNREACHABLE_MS + 5_000)).toBe(UNREACHABLE_MS + 5_000);
  });

  it('goes as soon as media flows, and a later outage starts counting from zero', () => {
    const w = new ReachWatch();
    w.update(true, false, 0);
    expect(w.update(true, false, 20_000)).not.toBeNull();
    expect(w.update(true, true, 21_000)).toBeNull();
    expect(w.update(true, false, 22_000)).toBeNull();
    expect(w.update(true, false, 22_000 + UNREACHABLE_MS - 1)).toBeNull();
    expect(w.update(true, false, 22_000 + UNREACHABLE_MS)).toBe(UNREACHABLE_MS);
  });

  it('says nothing while the page wants no media (lesson not live, nothing to send or receive)', () => {
    const w = new ReachWatch();
    expect(w.update(false, false, 0)).toBeNull();
    expect(w.update(false, false, 60_000)).toBeNull();
    // …and the wait starts when it does want some.
    expect(w.update(true, false, 61_000)).toBeNull();
    expect(w.update(true, false, 61_000 + UNREACHABLE_MS)).toBe(UNREACHABLE_MS);
  });

  it('names each address once with its protocols and ports, for the network administrator', () => {
    const c = (ip: string, protocol: 'udp' | 'tcp', port: number) => ({ ip, protocol, port });
    expect(describeEndpoints([c('203.0.113.7', 'udp', 40000), c('203.0.113.7', 'tcp', 40000), c('203.0.113.7', 'udp', 40000)])).toBe(
      '203.0.113.7 的 UDP 40000 和 TCP 40000 端口',
    );
    expect(describeEndpoints([c('203.0.113.7', 'udp', 40001), c('198.51.100.2', 'tcp', 40001)])).toBe(
      '203.0.113.7 的 UDP 40001 端口、198.51.100.2 的 TCP 40001 端口',
    );
    stored.set('tongke.lang', 'en');
    expect(describeEndpoints([c('203.0.113.7', 'udp', 40000), c('203.0.113.7', 'tcp', 40000)])).toBe('UDP 40000 and TCP 40000 on 203.0.113.7');
  });
});
