import { describe, expect, it } from 'vitest';
import { Presence } from '../../server/lessons/presence.js';
import { RateLimiter } from '../../server/realtime/rateLimit.js';
import { AppError, toErrorBody } from '../../server/errors.js';

describe('Presence', () => {
  it('reports only the online/offline transitions of an identity', () => {
    const p = new Presence();
    expect(p.add('classroom:a')).toBe(true);
    expect(p.add('classroom:a')).toBe(false); // a reconnect overlapping the old socket
    expect(p.remove('classroom:a')).toBe(false);
    expect(p.has('classroom:a')).toBe(true);
    expect(p.remove('classroom:a')).toBe(true);
    expect(p.remove('classroom:a')).toBe(false);
  });
});

describe('RateLimiter', () => {
  it('allows a burst, refuses beyond it, and refills over time', () => {
    let now = 0;
    const r = new RateLimiter(10, 3, () => now);
    expect([r.take('e'), r.take('e'), r.take('e'), r.take('e')]).toEqual([true, true, true, false]);
    expect(r.take('other')).toBe(true);
    now += 100;
    expect(r.take('e')).toBe(true);
    expect(r.take('e')).toBe(false);
  });
});

describe('toErrorBody', () => {
  it('passes AppErrors through and hides everything else', () => {
    expect(toErrorBody(new AppError('CONFLICT', 'x'))).toEqual({ status: 409, body: { code: 'CONFLICT', message: 'x' }, expected: true });
    expect(toErrorBody(new Error('secret detail'))).toEqual({
      status: 500,
      body: { code: 'INTERNAL', message: 'internal error' },
      expected: false,
    });
  });
});

describe('FloodGuard', () => {
  it('bans an identity after too many refusals in the window, for a cool-down', async () => {
    const { FloodGuard } = await import('../../server/realtime/floodGuard.js');
    let now = 0;
    const g = new FloodGuard(3, 1000, 5000, () => now);
    expect([g.refused('a'), g.refused('a')]).toEqual([false, false]);
    now = 1500; // the window slid: old refusals no longer count
    expect([g.refused('a'), g.refused('a'), g.refused('a')]).toEqual([false, false, true]);
    expect(g.isBanned('a')).toBe(true);
    expect(g.isBanned('b')).toBe(false);
    now = 7000;
    expect(g.isBanned('a')).toBe(false);
  });
});
