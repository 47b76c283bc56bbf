/**
 * How long the SFU holds a packet: the time from the moment the publisher's top-layer RTP
 * packet is handed to the worker to the moment a classroom's socket gets the copy the worker
 * forwards, both taken in this process on one clock. The worker rewrites the RTP header and
 * the VP8 payload descriptor of what it forwards, never the end of the payload, so a packet
 * is recognised by its payload length and its last 12 bytes. Only classrooms receiving
 * without SRTP (--latency-readers) can be matched: an encrypted payload hides its end.
 *
 * This is the SFU's own share of a classroom's latency, from below: it carries loopback's two
 * hops (microseconds) and this process's event-loop delay (both ends), and at each ramp step
 * the worker's whole fan-out of a packet to every classroom, in its own order.
 */
import { percentile } from './results.js';
import { round } from './system.js';

/** The file loops every few seconds; entries older than this can never match a new packet. */
const KEEP_MS = 2_000;
const TAIL_BYTES = 12;

export interface ForwardingSummary {
  /** Packets matched from ingress to a reading classroom. */
  packets: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export class ForwardingLatency {
  private readonly sentAt = new Map<string, number>();
  private readonly queue: { key: string; at: number }[] = [];
  private head = 0;
  private samples: number[] = [];

  /** The publisher's packet, right before it is sent to the worker. */
  onSent(rtp: Buffer, at: number): void {
    const key = packetKey(rtp);
    if (key === null) return;
    this.sentAt.set(key, at);
    this.queue.push({ key, at });
    while (this.head < this.queue.length && this.queue[this.head]!.at < at - KEEP_MS) {
      const old = this.queue[this.head++]!;
      if (this.sentAt.get(old.key) === old.at) this.sentAt.delete(old.key);
    }
    if (this.head > 4096) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  /** A datagram a classroom received (audio and RTCP find no match and are ignored). */
  onReceived(rtp: Buffer, at: number): void {
    const key = packetKey(rtp);
    if (key === null) return;
    const sent = this.sentAt.get(key);
    if (sent !== undefined) this.samples.push(at - sent);
  }

  /** The samples since the last call, summarised, and a fresh start. */
  take(): ForwardingSummary {
    const sorted = this.samples.sort((a, b) => a - b);
    this.samples = [];
    const r = (x: number | null) => (x === null ? null : round(x, 2));
    return {
      packets: sorted.length,
      p50Ms: r(percentile(sorted, 50)),
      p99Ms: r(percentile(sorted, 99)),
      maxMs: sorted.length ? r(sorted[sorted.length - 1]!) : null,
    };
  }
}

/** Payload length and the payload's last bytes; null for what is not plain RTP with a payload. */
function packetKey(buf: Buffer): string | null {
  if (buf.length < 12 || buf[0]! >> 6 !== 2) return null;
  const pt = buf[1]! & 0x7f;
  if (pt >= 64 && pt <= 95) return null; // RTCP
  if (buf[0]! & 0x20) return null; // padding: the end is not payload
  let header = 12 + 4 * (buf[0]! & 0x0f);
  if (buf[0]! & 0x10) {
    if (buf.length < header + 4) return null;
    header += 4 + 4 * buf.readUInt16BE(header + 2);
  }
  const payload = buf.length - header;
  if (payload < TAIL_BYTES) return null;
  return `${payload}:${buf.subarray(buf.length - TAIL_BYTES).toString('hex')}`;
}
