import { describe, expect, it } from 'vitest';
import { TccFeedbackBuilder, transportWideSeq } from '../../scripts/bench/tccFeedback.js';

/** An RTP packet with one-byte header extensions: [id, bytes] pairs. */
function rtp(extensions: [number, number[]][], pt = 96): Buffer {
  const body = extensions.flatMap(([id, bytes]) => [(id << 4) | (bytes.length - 1), ...bytes]);
  while (body.length % 4) body.push(0);
  const b = Buffer.alloc(12 + 4 + body.length + 10);
  b[0] = 0x90; // V=2, X
  b[1] = pt;
  b.writeUInt16BE(0xbede, 12);
  b.writeUInt16BE(body.length / 4, 14);
  Buffer.from(body).copy(b, 16);
  return b;
}

/** Reads a transport-cc feedback packet back: what the worker will see. */
function parse(b: Buffer) {
  const padding = b[0]! & 0x20 ? b[b.length - 1]! : 0;
  expect([b[0]! & 0x1f, b[1], (b.readUInt16BE(2) + 1) * 4]).toEqual([15, 205, b.length]);
  const base = b.readUInt16BE(12);
  const count = b.readUInt16BE(14);
  const reference = b.readUIntBE(16, 3);
  const symbols: number[] = [];
  let off = 20;
  while (symbols.length < count) {
    const chunk = b.readUInt16BE(off);
    off += 2;
    expect(chunk >> 15).toBe(0); // run-length chunks only
    for (let i = 0; i < (chunk & 0x1fff); i++) symbols.push((chunk >> 13) & 3);
  }
  const deltas: number[] = [];
  for (const s of symbols) {
    if (s === 1) deltas.push(b[off++]!);
    if (s === 2) {
      deltas.push(b.readInt16BE(off));
      off += 2;
    }
  }
  expect(b.length - padding).toBeGreaterThanOrEqual(off);
  return { base, count, reference, symbols, deltas };
}

describe('transport-cc feedback for the benchmark', () => {
  it('finds the transport-wide sequence number among one-byte header extensions', () => {
    expect(transportWideSeq(rtp([[1, [7]], [5, [0x12, 0x34]]]), 5)).toBe(0x1234);
    expect(transportWideSeq(rtp([[1, [7]]]), 5)).toBeNull();
    expect(transportWideSeq(rtp([[5, [0x12, 0x34]]], 72), 5)).toBeNull(); // RTCP
    expect(transportWideSeq(Buffer.alloc(8), 5)).toBeNull();
  });

  it('acknowledges what arrived, marks what did not, and keeps the arrival times in 250 µs steps', () => {
    const f = new TccFeedbackBuilder(1, 2);
    const t0 = 64_000 * 1000 + 1_000; // µs, 1 ms after a 64 ms boundary
    f.onPacket(100, t0);
    f.onPacket(101, t0 + 500);
    f.onPacket(103, t0 + 100_000); // 102 lost; 100 ms later: a large delta
    const p = parse(f.build()!);
    expect(p).toMatchObject({ base: 100, count: 4, reference: 1000, symbols: [1, 1, 0, 2], deltas: [4, 2, 398] });
    expect(f.build()).toBeNull(); // nothing new

    f.onPacket(104, t0 + 101_000);
    expect(parse(f.build()!)).toMatchObject({ base: 104, count: 1, symbols: [1] });
  });

  it('carries on across the 16-bit wrap of sequence numbers', () => {
    const f = new TccFeedbackBuilder(1, 2);
    f.onPacket(65534, 1_000);
    f.onPacket(65535, 2_000);
    f.onPacket(0, 3_000);
    f.onPacket(1, 4_000);
    expect(parse(f.build()!)).toMatchObject({ base: 65534, count: 4, symbols: [1, 1, 1, 1] });
  });
});
