import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Lingering, type LingerEnd } from '../../server/lessons/lingering.js';

describe('a peer lingering after its signalling dropped', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const opts = { graceMs: 60_000, silenceMs: 10_000, checkEveryMs: 2_000 };

  /** A page's media: bytes grow while `alive` is true; null when it holds no media. */
  function page(initial: number | null = 0) {
    const p = { bytes: initial, alive: true };
    const probe = async () => {
      if (p.bytes !== null && p.alive) p.bytes += 1500;
      return p.bytes;
    };
    return { p, probe };
  }

  it('stays while its media flows, up to the grace', async () => {
    const l = new Lingering(opts);
    const { probe } = page();
    const ended: LingerEnd[] = [];
    l.start('a', probe, (why) => ended.push(why));
    await vi.advanceTimersByTimeAsync(59_000);
    expect(ended).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(ended).toEqual(['grace']);
    expect(l.has('a')).toBe(false);
  });

  it('goes once its media has been silent for the silence window', async () => {
    const l = new Lingering(opts);
    const { p, probe } = page();
    const ended: LingerEnd[] = [];
    l.start('a', probe, (why) => ended.push(why));
    await vi.advanceTimersByTimeAsync(20_000);
    p.alive = false;
    await vi.advanceTimersByTimeAsync(9_000);
    expect(ended).toEqual([]);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(ended).toEqual(['silent']);
  });

  it('a peer that holds no media goes after the silence window', async () => {
    const l = new Lingering(opts);
    const { probe } = page(null);
    const ended: LingerEnd[] = [];
    l.start('a', probe, (why) => ended.push(why));
    await vi.advanceTimersByTimeAsync(12_000);
    expect(ended).toEqual(['silent']);
  });

  it('a failing probe counts as silence, never as life', async () => {
    const l = new Lingering(opts);
    const ended: LingerEnd[] = [];
    l.start('a', () => Promise.reject(new Error('worker gone')), (why) => ended.push(why));
    await vi.advanceTimersByTimeAsync(12_000);
    expect(ended).toEqual(['silent']);
  });

  it('cancelled (the page came back), it never ends; restarted, it starts over', async () => {
    const l = new Lingering(opts);
    const { probe } = page(null);
    const ended: string[] = [];
    l.start('a', probe, (why) => ended.push(`first ${why}`));
    await vi.advanceTimersByTimeAsync(6_000);
    expect(l.cancel('a')).toBe(true);
    expect(l.cancel('a')).toBe(false);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(ended).toEqual([]);
    l.start('a', probe, (why) => ended.push(`second ${why}`));
    l.start('a', probe, (why) => ended.push(`third ${why}`));
    await vi.advanceTimersByTimeAsync(12_000);
    expect(ended).toEqual(['third silent']);
  });

  it('close() ends all lingering without calling anyone', async () => {
    const l = new Lingering(opts);
    const ended: string[] = [];
    l.start('a', page().probe, () => ended.push('a'));
    l.start('b', page(null).probe, () => ended.push('b'));
    l.close();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(ended).toEqual([]);
  });

  it('with no grace it ends at once', async () => {
    const l = new Lingering({ graceMs: 0, silenceMs: 0, checkEveryMs: 500 });
    const ended: LingerEnd[] = [];
    l.start('a', page().probe, (why) => ended.push(why));
    await vi.advanceTimersByTimeAsync(0);
    expect(ended).toEqual(['grace']);
  });
});
