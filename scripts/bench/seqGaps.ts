/**
 * Counts RTP packets lost on the way to one receiver from sequence numbers alone. Under
 * SRTP only the payload is encrypted, so the header is readable: seq = bytes 2–3,
 * ssrc = bytes 8–11. Each SSRC (a classroom's video and audio) is tracked separately,
 * with 16-bit wrap-around extended to a running counter.
 */
interface StreamState {
  firstExt: number;
  highestExt: number;
  received: number;
}

export interface GapTotals {
  expected: number;
  received: number;
}

export class SeqGapTracker {
  private readonly streams = new Map<number, StreamState>();

  /** Feeds one datagram; RTCP and anything too short to be RTP is ignored. */
  onDatagram(buf: Buffer): void {
    if (buf.length < 12 || buf[0]! >> 6 !== 2) return;
    const pt = buf[1]! & 0x7f;
    if (pt >= 64 && pt <= 95) return; // RTCP (SR/RR/SDES…) when multiplexed
    const seq = buf.readUInt16BE(2);
    const ssrc = buf.readUInt32BE(8);
    const s = this.streams.get(ssrc);
    if (!s) {
      this.streams.set(ssrc, { firstExt: seq, highestExt: seq, received: 1 });
      return;
    }
    const ext = extend(seq, s.highestExt);
    if (ext > s.highestExt) s.highestExt = ext;
    s.received++;
  }

  /** Packets expected (first to highest sequence number) and received, over every stream. */
  totals(): GapTotals {
    let expected = 0;
    let received = 0;
    for (const s of this.streams.values()) {
      expected += s.highestExt - s.firstExt + 1;
      received += s.received;
    }
    return { expected, received };
  }

  get streamCount(): number {
    return this.streams.size;
  }
}

/** The extended sequence number closest to the highest seen so far (RFC 3550 A.1 idea). */
function extend(seq: number, highestExt: number): number {
  const cycle = highestExt - (highestExt & 0xffff);
  let ext = cycle + seq;
  if (ext < highestExt - 0x8000) ext += 0x10000;
  else if (ext > highestExt + 0x8000) ext -= 0x10000;
  return ext;
}

/** Loss in % between two snapshots of totals (duplicates can make it slightly negative: clamp). */
export function lossPctBetween(a: GapTotals, b: GapTotals): number | null {
  const expected = b.expected - a.expected;
  if (expected <= 0) return null;
  const lost = expected - (b.received - a.received);
  return Math.max(0, (100 * lost) / expected);
}
