import { describe, expect, it } from 'vitest';
import { elapsedMs, readStamp, STAMP_MODULO, toStamp, writeStamp } from '../../scripts/bench/stamp.js';

const frame = (w: number, h: number, fill = 128) => new Uint8Array((w * h * 3) / 2).fill(fill);

/** Nearest-neighbour downscale of the Y plane, as a lower simulcast layer would see it. */
function downscale(y: Uint8Array, w: number, h: number, f: number): Uint8Array {
  const out = new Uint8Array((w / f) * (h / f));
  for (let r = 0; r < h / f; r++) for (let c = 0; c < w / f; c++) out[r * (w / f) + c] = y[r * f * w + c * f]!;
  return out;
}

describe('frame time stamps (bench-fanout latency)', () => {
  it('round-trips values at 720p, including 0 and the largest 24-bit value', () => {
    for (const v of [0, 1, 0x123456, 0xffffff, toStamp(123_456.7)]) {
      const f = frame(1280, 720);
      writeStamp(f, 1280, 720, v);
      expect(readStamp(f, 1280, 720)).toBe(v);
    }
  });

  it('survives noise and blur of the kind VP8 adds, and downscaled simulcast layers', () => {
    const f = frame(1280, 720);
    writeStamp(f, 1280, 720, 0xabcdef);
    let seed = 7;
    for (let i = 0; i < 1280 * 720; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      f[i] = Math.max(0, Math.min(255, f[i]! + ((seed % 61) - 30)));
    }
    expect(readStamp(f, 1280, 720)).toBe(0xabcdef);
    expect(readStamp(downscale(f, 1280, 720, 2), 640, 360)).toBe(0xabcdef);
    expect(readStamp(downscale(f, 1280, 720, 4), 320, 180)).toBe(0xabcdef);
  });

  it('reads a frame without a stamp, or with a flipped bit, as null', () => {
    expect(readStamp(frame(1280, 720), 1280, 720)).toBeNull();
    const f = frame(640, 360);
    writeStamp(f, 640, 360, 0x00ff00);
    // Invert the first block (bit 31): the check byte no longer matches.
    for (let r = 0; r < 40; r++) for (let c = 0; c < 40; c++) f[r * 640 + c] = 255 - f[r * 640 + c]!;
    expect(readStamp(f, 640, 360)).toBeNull();
    expect(readStamp(new Uint8Array(10), 8, 8)).toBeNull();
  });

  it('measures elapsed time in 0.1 ms across the 24-bit wrap', () => {
    expect(elapsedMs(toStamp(1000), 1012.34)).toBeCloseTo(12.3, 5);
    const nearWrap = (STAMP_MODULO - 5) / 10; // ms whose stamp is 5 units before the wrap
    expect(elapsedMs(toStamp(nearWrap), nearWrap + 2)).toBeCloseTo(2, 5);
  });
});
