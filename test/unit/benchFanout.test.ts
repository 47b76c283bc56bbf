import { describe, expect, it } from 'vitest';
import type { StepResult } from '../../scripts/bench/ramp.js';
import { ForwardingLatency } from '../../scripts/bench/forwardingLatency.js';
import { classroomsPerCore, classroomsWithinLatencyTarget, percentile, rssSlopeMB } from '../../scripts/bench/results.js';
import { lossPctBetween, SeqGapTracker } from '../../scripts/bench/seqGaps.js';
import { parseFlags } from '../../scripts/bench/flags.js';

function rtp(seq: number, ssrc: number, pt = 101): Buffer {
  const b = Buffer.alloc(20);
  b[0] = 0x80;
  b[1] = pt;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

describe('bench-fanout helpers', () => {
  it('counts sequence gaps per SSRC, across the 16-bit wrap, ignoring RTCP', () => {
    const t = new SeqGapTracker();
    for (const seq of [65533, 65534, 65535, 0, 2, 3]) t.onDatagram(rtp(seq, 1)); // 1 lost (seq 1)
    for (const seq of [10, 11, 12]) t.onDatagram(rtp(seq, 2, 100));
    t.onDatagram(rtp(999, 1, 72)); // an RTCP SR must not count
    expect(t.totals()).toEqual({ expected: 10, received: 9 });
    expect(t.streamCount).toBe(2);
    expect(lossPctBetween({ expected: 0, received: 0 }, t.totals())).toBeCloseTo(10);
    expect(lossPctBetween(t.totals(), t.totals())).toBeNull();
  });

  const step = (classrooms: number, cpu: number, loss: number | null, rss: number): StepResult =>
    ({ classrooms, workerCpuPct: cpu, sampledLossPct: loss, serverRssMB: rss, workerRssMB: 10 }) as StepResult;

  it('picks the largest step under both bars, and the RSS slope', () => {
    const steps = [step(100, 40, 0, 100), step(200, 80, 0.1, 150), step(300, 84, 0.6, 200), step(400, 95, 0, 250)];
    expect(classroomsPerCore(steps)?.classrooms).toBe(200);
    expect(rssSlopeMB(steps)).toBe(0.5);
  });

  it('also bounds the step by forwarding p99 for the latency target', () => {
    const withLatency = (s: StepResult, p99Ms: number | null) => ({ ...s, forwarding: { packets: 100, p50Ms: 1, p99Ms, maxMs: p99Ms } });
    const steps = [withLatency(step(100, 40, 0, 100), 3), withLatency(step(200, 80, 0.1, 150), 12), withLatency(step(300, 84, 0, 200), 8)];
    expect(classroomsWithinLatencyTarget(steps)).toBe(300);
    expect(classroomsWithinLatencyTarget([withLatency(step(100, 40, 0, 100), null)])).toBeNull();
  });

  it('matches a forwarded packet to the one sent by the end of its payload, whatever the worker rewrote in front', () => {
    const payload = Buffer.from(Array.from({ length: 40 }, (_, i) => (i * 37) & 0xff));
    const sent = Buffer.concat([rtp(7, 0x11223342).subarray(0, 12), payload]);
    // The forwarded copy: another SSRC and sequence number, a one-byte header extension
    // block (mid), a rewritten VP8 descriptor (first payload bytes).
    const ext = Buffer.from([0xbe, 0xde, 0x00, 0x01, 0x10, 0x61, 0x00, 0x00]);
    const forwardedPayload = Buffer.from(payload);
    forwardedPayload[0] = 0xff;
    const header = rtp(900, 0xabcdef, 96).subarray(0, 12);
    header[0] = 0x90; // extension bit
    const forwarded = Buffer.concat([header, ext, forwardedPayload]);
    const f = new ForwardingLatency();
    f.onSent(sent, 1000);
    f.onReceived(forwarded, 1003.5);
    f.onReceived(forwarded, 1004); // a second reading classroom gets its own copy
    f.onReceived(rtp(1, 1, 111), 1005); // audio: never sent through the relay
    f.onReceived(Buffer.concat([rtp(2, 1, 72).subarray(0, 12), payload]), 1006); // RTCP
    expect(f.take()).toEqual({ packets: 2, p50Ms: 3.5, p99Ms: 4, maxMs: 4 });
    expect(f.take().packets).toBe(0);
    // Entries older than 2 s are forgotten: the looping test file repeats its packets.
    f.onSent(Buffer.concat([rtp(8, 5).subarray(0, 12), Buffer.alloc(20, 1)]), 4000);
    f.onReceived(forwarded, 4001);
    expect(f.take().packets).toBe(0);
  });

  it('takes nearest-rank percentiles', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 95)).toBe(95);
    expect(percentile([], 95)).toBeNull();
  });

  it('takes WebRTC bulk classrooms only where their far ends can do what the other flags ask', () => {
    expect(parseFlags(['--bulk-transport', 'webrtc'])['bulk-transport']).toBe('webrtc');
    expect(parseFlags([])['bulk-transport']).toBe('webrtc');
    expect(parseFlags(['--bulk-transport', 'plain', '--egress', 'tun']).egress).toBe('tun');
    expect(() => parseFlags(['--egress', 'tun'])).toThrow(/--bulk-transport webrtc cannot go with --egress tun/);
    expect(() => parseFlags(['--bulk-transport', 'webrtc', '--plain-rtp', '--srtp-suite', 'AEAD_AES_128_GCM'])).toThrow(
      /cannot go with --plain-rtp, --srtp-suite AEAD_AES_128_GCM/,
    );
    expect(() => parseFlags(['--bulk-transport', 'udp'])).toThrow(/--bulk-transport/);
  });
});
