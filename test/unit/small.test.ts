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
