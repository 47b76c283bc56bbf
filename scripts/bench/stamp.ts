/**
 * A send-time stamp drawn into the luma plane of an I420 frame, so a WebRTC receiver can
 * read it back after VP8 encoding, the SFU and decoding. Coarse on purpose: 32 bits as
 * 2 rows × 16 large uniform blocks (black = 0, white = 1) across the top of the frame,
 * sized relative to the frame so any simulcast layer (full, ½, ¼) decodes the same way.
 * The 32 bits are a 24-bit value and an 8-bit check, so a smeared frame reads as null,
 * not as a wrong time. Pure functions: see test/unit/stamp.test.ts.
 */

const COLS = 16;
const ROWS = 2;
/** The stamp occupies the top ROWS/GRID_ROWS of the frame. */
const GRID_ROWS = 9;
const BLACK = 16;
const WHITE = 235;
const THRESHOLD = (BLACK + WHITE) / 2;

/** The stamp's unit: 0.1 ms; 24 bits of it wrap every ~27.9 minutes. */
export const STAMP_UNITS_PER_MS = 10;
export const STAMP_MODULO = 1 << 24;

const check = (v: number) => ((v & 0xff) ^ ((v >> 8) & 0xff) ^ ((v >> 16) & 0xff) ^ 0xa5) & 0xff;

function block(width: number, height: number, i: number): { x0: number; x1: number; y0: number; y1: number } {
  const col = i % COLS;
  const row = Math.floor(i / COLS);
  return {
    x0: Math.floor((col * width) / COLS),
    x1: Math.floor(((col + 1) * width) / COLS),
    y0: Math.floor((row * height) / GRID_ROWS),
    y1: Math.floor(((row + 1) * height) / GRID_ROWS),
  };
}

/** Milliseconds (e.g. performance.now()) → the 24-bit stamp value. */
export function toStamp(ms: number): number {
  return ((Math.round(ms * STAMP_UNITS_PER_MS) % STAMP_MODULO) + STAMP_MODULO) % STAMP_MODULO;
}

/** Elapsed ms from a stamp to `nowMs`, modulo the wrap (valid for gaps < 27 minutes). */
export function elapsedMs(stamp: number, nowMs: number): number {
  return (((toStamp(nowMs) - stamp) % STAMP_MODULO) + STAMP_MODULO) % STAMP_MODULO / STAMP_UNITS_PER_MS;
}

/** Writes `value` (24 bits) into the Y plane (the first width×height bytes of an I420 frame). */
export function writeStamp(y: Uint8Array, width: number, height: number, value: number): void {
  const v = value & 0xffffff;
  const word = ((v << 8) | check(v)) >>> 0;
  for (let i = 0; i < COLS * ROWS; i++) {
    const bit = (word >>> (31 - i)) & 1;
    const { x0, x1, y0, y1 } = block(width, height, i);
    const fill = bit ? WHITE : BLACK;
    for (let r = y0; r < y1; r++) y.fill(fill, r * width + x0, r * width + x1);
  }
}

/** Reads a stamp back from a decoded Y plane; null when the check does not match. */
export function readStamp(y: Uint8Array, width: number, height: number): number | null {
  if (width < COLS * 4 || height < GRID_ROWS * 4 || y.length < width * height) return null;
  let word = 0;
  for (let i = 0; i < COLS * ROWS; i++) {
    const { x0, x1, y0, y1 } = block(width, height, i);
    // The central half of the block: away from edges the codec blurs.
    const qx = Math.max(1, Math.floor((x1 - x0) / 4));
    const qy = Math.max(1, Math.floor((y1 - y0) / 4));
    let sum = 0;
    let n = 0;
    for (let r = y0 + qy; r < y1 - qy; r++) {
      for (let c = x0 + qx; c < x1 - qx; c++) {
        sum += y[r * width + c]!;
        n++;
      }
    }
    word = ((word << 1) | (sum / n > THRESHOLD ? 1 : 0)) >>> 0;
  }
  const value = word >>> 8;
  return (word & 0xff) === check(value) ? value : null;
}
