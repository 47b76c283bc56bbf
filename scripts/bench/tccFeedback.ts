/**
 * A bulk classroom that answers like a browser's congestion control: it reads every RTP packet
 * the worker sends it, notes the transport-wide sequence number (header extension) and when it
 * arrived, and every FEEDBACK_INTERVAL_MS sends back one transport-cc feedback packet
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01, RTCP RTPFB FMT 15). The worker then
 * erases acknowledged packets from its send-time history and runs its estimator on real
 * feedback, as in a lesson. Plain RTP only (no SRTP), so the feedback goes out unencrypted.
 */

/** Chrome sends transport feedback about every 50–100 ms at these rates. */
export const FEEDBACK_INTERVAL_MS = 100;
/** The receive-delta unit of the format: 250 µs. */
const DELTA_UNIT_US = 250;
/** Reference time unit: 64 ms. */
const REFERENCE_UNIT_US = 64_000;
const MAX_RUN = 0x1fff;

const enum Symbol {
  NotReceived = 0,
  SmallDelta = 1,
  LargeDelta = 2,
}

/** The transport-wide sequence number in an RTP packet's one-byte header extensions, or null. */
export function transportWideSeq(buf: Buffer, extensionId: number): number | null {
  if (buf.length < 12 || buf[0]! >> 6 !== 2) return null;
  const pt = buf[1]! & 0x7f;
  if (pt >= 72 && pt <= 76) return null; // RTCP
  if (!(buf[0]! & 0x10)) return null; // no extension
  const csrc = buf[0]! & 0x0f;
  let off = 12 + 4 * csrc;
  if (buf.length < off + 4) return null;
  const profile = buf.readUInt16BE(off);
  const words = buf.readUInt16BE(off + 2);
  off += 4;
  const end = Math.min(buf.length, off + 4 * words);
  if (profile !== 0xbede) return null;
  while (off < end) {
    const b = buf[off]!;
    if (b === 0) {
      off++; // padding
      continue;
    }
    const id = b >> 4;
    const len = (b & 0x0f) + 1;
    if (id === 15) return null;
    if (id === extensionId && len === 2 && off + 3 <= end) return buf.readUInt16BE(off + 1);
    off += 1 + len;
  }
  return null;
}

/** Collects arrivals and builds one feedback packet per interval. */
export class TccFeedbackBuilder {
  private readonly arrivals = new Map<number, number>();
  /** Unwrapped sequence numbers so the 16-bit wrap does not reorder. */
  private lastSeq: number | null = null;
  private cycles = 0;
  private feedbackCount = 0;
  private nextBase: number | null = null;

  constructor(
    private readonly senderSsrc: number,
    private readonly mediaSsrc: number,
  ) {}

  onPacket(seq16: number, arrivalUs: number): void {
    if (this.lastSeq !== null) {
      const last16 = this.lastSeq & 0xffff;
      const diff = (seq16 - last16 + 0x10000) & 0xffff;
      if (diff < 0x8000) {
        if (seq16 < last16) this.cycles++;
      } else if (seq16 > last16) {
        // An older packet from before a wrap.
        const seq = (this.cycles - 1) * 0x10000 + seq16;
        if (!this.arrivals.has(seq)) this.arrivals.set(seq, arrivalUs);
        return;
      }
    }
    const seq = this.cycles * 0x10000 + seq16;
    if (this.lastSeq === null || seq > this.lastSeq) this.lastSeq = seq;
    if (!this.arrivals.has(seq)) this.arrivals.set(seq, arrivalUs);
  }

  /** The feedback for everything received since the last one, or null if nothing arrived. */
  build(): Buffer | null {
    if (this.arrivals.size === 0) return null;
    const seqs = [...this.arrivals.keys()].sort((a, b) => a - b);
    // Late packets from before the last feedback's base are dropped, as a receiver would.
    const base = this.nextBase === null ? seqs[0]! : Math.max(this.nextBase, seqs[0]!);
    const last = seqs.at(-1)!;
    if (last < base) {
      this.arrivals.clear();
      return null;
    }
    const count = Math.min(last - base + 1, 0xffff);
    const firstArrival = this.arrivals.get(seqs.find((s) => s >= base)!)!;
    const reference = Math.floor(firstArrival / REFERENCE_UNIT_US);
    let previousUs = reference * REFERENCE_UNIT_US;

    const symbols: Symbol[] = [];
    const deltas: number[] = [];
    for (let i = 0; i < count; i++) {
      const at = this.arrivals.get(base + i);
      if (at === undefined) {
        symbols.push(Symbol.NotReceived);
        continue;
      }
      const delta = Math.round((at - previousUs) / DELTA_UNIT_US);
      previousUs += delta * DELTA_UNIT_US;
      if (delta >= 0 && delta <= 0xff) symbols.push(Symbol.SmallDelta);
      else symbols.push(Symbol.LargeDelta);
      deltas.push(Math.max(-0x8000, Math.min(0x7fff, delta)));
    }

    const chunks: number[] = [];
    for (let i = 0; i < symbols.length; ) {
      let run = 1;
      while (i + run < symbols.length && symbols[i + run] === symbols[i] && run < MAX_RUN) run++;
      chunks.push((symbols[i]! << 13) | run);
      i += run;
    }
    let deltaBytes = 0;
    for (const s of symbols) deltaBytes += s === Symbol.SmallDelta ? 1 : s === Symbol.LargeDelta ? 2 : 0;
    const bodyLength = 8 + 8 + 2 * chunks.length + deltaBytes;
    const padded = Math.ceil((4 + bodyLength) / 4) * 4;
    const padding = padded - 4 - bodyLength;
    const buf = Buffer.alloc(padded);
    buf[0] = 0x80 | (padding ? 0x20 : 0) | 15; // V=2, P when padded, FMT=15
    if (padding) buf[padded - 1] = padding;
    buf[1] = 205; // RTPFB
    buf.writeUInt16BE(padded / 4 - 1, 2);
    buf.writeUInt32BE(this.senderSsrc >>> 0, 4);
    buf.writeUInt32BE(this.mediaSsrc >>> 0, 8);
    buf.writeUInt16BE(base & 0xffff, 12);
    buf.writeUInt16BE(count, 14);
    buf.writeUIntBE(reference & 0xffffff, 16, 3);
    buf[19] = this.feedbackCount++ & 0xff;
    let off = 20;
    for (const c of chunks) {
      buf.writeUInt16BE(c, off);
      off += 2;
    }
    let d = 0;
    for (const s of symbols) {
      if (s === Symbol.SmallDelta) buf[off++] = deltas[d++]!;
      else if (s === Symbol.LargeDelta) {
        buf.writeInt16BE(deltas[d++]!, off);
        off += 2;
      }
    }
    this.nextBase = base + count;
    this.arrivals.clear();
    return buf;
  }
}
