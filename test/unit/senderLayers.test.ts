import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SENDER_LAYER_TIMING, SenderLayers } from '../../server/media/senderLayers.js';

/** A sender whose layers each send a few packets per poll while on. */
function sender(layers = 3) {
  const on = Array.from({ length: layers }, () => true);
  const counts = Array.from({ length: layers }, () => 0);
  return {
    on,
    counts: async () => {
      on.forEach((o, i) => {
        if (o) counts[i]! += 5;
      });
      return [...counts];
    },
  };
}

describe('which simulcast layers the teacher still sends', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const { pollMs, silentMs, backAfterMs } = SENDER_LAYER_TIMING;

  it('caps nothing while every layer flows', async () => {
    const s = sender();
    const caps: (number | null)[] = [];
    const w = new SenderLayers(s.counts, (c) => caps.push(c));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(caps).toEqual([]);
    expect(w.current).toBeNull();
    w.close();
  });

  it('caps below a layer within about half a second of its last packet, not mediasoup’s 1.5 s', async () => {
    const s = sender();
    const caps: { cap: number | null; at: number }[] = [];
    const w = new SenderLayers(s.counts, (cap) => caps.push({ cap, at: Date.now() }));
    await vi.advanceTimersByTimeAsync(2_000);
    const stoppedAt = Date.now();
    s.on[2] = false;
    s.on[1] = false;
    await vi.advanceTimersByTimeAsync(1_500);
    expect(caps.map((c) => c.cap)).toEqual([0]);
    expect(caps[0]!.at - stoppedAt).toBeLessThanOrEqual(silentMs + 2 * pollMs);
    w.close();
  });

  it('lifts the cap only once a layer has sent steadily for a while, and to the layer that did', async () => {
    const s = sender();
    const caps: (number | null)[] = [];
    const w = new SenderLayers(s.counts, (c) => caps.push(c));
    await vi.advanceTimersByTimeAsync(2_000);
    s.on[2] = false;
    s.on[1] = false;
    await vi.advanceTimersByTimeAsync(2_000);
    // The middle layer flickers on and off: no lift.
    for (let i = 0; i < 3; i++) {
      s.on[1] = true;
      await vi.advanceTimersByTimeAsync(backAfterMs / 2);
      s.on[1] = false;
      await vi.advanceTimersByTimeAsync(silentMs + pollMs);
    }
    expect(caps).toEqual([0]);
    // It comes back for good: capped at it once it has held; then the top one: no cap.
    s.on[1] = true;
    await vi.advanceTimersByTimeAsync(backAfterMs + 2 * pollMs);
    expect(caps).toEqual([0, 1]);
    s.on[2] = true;
    await vi.advanceTimersByTimeAsync(backAfterMs + 2 * pollMs);
    expect(caps).toEqual([0, 1, null]);
    w.close();
  });

  it('drops everyone to the lowest layer when the top one stops, then climbs one layer at a time', async () => {
    const s = sender();
    const caps: { cap: number | null; at: number }[] = [];
    const w = new SenderLayers(s.counts, (cap) => caps.push({ cap, at: Date.now() }));
    await vi.advanceTimersByTimeAsync(3_000);
    s.on[2] = false;
    await vi.advanceTimersByTimeAsync(backAfterMs + 4 * pollMs);
    // The middle layer flowed all along, yet waits its turn: the lowest layer's key frame gets
    // through a choked uplink first.
    expect(caps.map((c) => c.cap)).toEqual([0, 1]);
    expect(caps[1]!.at - caps[0]!.at).toBeGreaterThanOrEqual(backAfterMs);
    s.on[2] = true;
    await vi.advanceTimersByTimeAsync(backAfterMs + 2 * pollMs);
    expect(caps.map((c) => c.cap)).toEqual([0, 1, null]);
    w.close();
  });

  it('caps nobody while the encoder ramps up, turning its upper layers on late and unsteadily', async () => {
    const s = sender();
    s.on[1] = false;
    s.on[2] = false;
    const caps: (number | null)[] = [];
    const w = new SenderLayers(s.counts, (c) => caps.push(c));
    await vi.advanceTimersByTimeAsync(2_000);
    s.on[1] = true;
    await vi.advanceTimersByTimeAsync(1_500);
    s.on[2] = true;
    await vi.advanceTimersByTimeAsync(600);
    s.on[2] = false; // not established yet: its stop is no stop
    await vi.advanceTimersByTimeAsync(2_000);
    s.on[2] = true;
    await vi.advanceTimersByTimeAsync(3_000);
    expect(caps).toEqual([]);
    // Once it has got going, a stop counts.
    s.on[2] = false;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(caps).toEqual([0]);
    w.close();
  });

  it.each([
    ['the lowest layer itself stops', [0]],
    ['nothing flows at all (the sender paused or is gone)', [0, 1]],
  ])('leaves it to mediasoup when %s', async (_, stopLater) => {
    const s = sender();
    const caps: (number | null)[] = [];
    const w = new SenderLayers(s.counts, (c) => caps.push(c));
    await vi.advanceTimersByTimeAsync(2_000);
    s.on[2] = false;
    await vi.advanceTimersByTimeAsync(1_000);
    for (const i of stopLater) s.on[i] = false;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(caps).toEqual([0, null]);
    w.close();
  });

  it('stops looking once closed, and survives a failing stats request', async () => {
    let calls = 0;
    const w = new SenderLayers(async () => {
      calls++;
      throw new Error('producer closed');
    }, () => {});
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toBeGreaterThan(2);
    w.close();
    const after = calls;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(calls).toBe(after);
  });
});
