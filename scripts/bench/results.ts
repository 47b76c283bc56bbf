import type { Flags } from './flags.js';
import type { JoinResult } from './joinTime.js';
import type { RampResult, StepResult } from './ramp.js';
import type { Machine } from './system.js';
import { round } from './system.js';

/** The targets of issue 3, per worker core; the summary says which were met. */
export const TARGETS = { classroomsPerCore: 500, maxLossPct: 0.5, maxCpuPct: 85, joinP95Ms: 1500, addedLatencyP99Ms: 10, rssPerClassroomMB: 1 };

export interface FanoutResults {
  benchmark: 'fanout';
  date: string;
  machine: Machine;
  versions: { node: string; mediasoup: string };
  setup: Record<string, unknown>;
  flags: Flags;
  publisher: { description: string; measuredKbps: number | null };
  classroomsPerCore: number | null;
  lossPct: number | null;
  joinP95Ms: number | null;
  addedLatencyP99Ms: null;
  rssPerClassroomMB: number | null;
  /** Why a headline figure is missing or narrower than the definition. */
  notMeasured: Record<string, string>;
  targets: typeof TARGETS;
  stoppedBy: string;
  steps: StepResult[];
  join: JoinResult | null;
  notes: string[];
}

/** The largest step that met both the CPU and the loss bar (loss must have been measured). */
export function classroomsPerCore(steps: StepResult[]): StepResult | null {
  const ok = steps.filter((s) => s.workerCpuPct <= TARGETS.maxCpuPct && s.sampledLossPct !== null && s.sampledLossPct < TARGETS.maxLossPct);
  return ok.reduce<StepResult | null>((best, s) => (best === null || s.classrooms > best.classrooms ? s : best), null);
}

/**
 * Memory per classroom: the least-squares slope of server RSS (Node process + mediasoup
 * worker, where consumers really live) against classrooms, over the whole ramp.
 */
export function rssSlopeMB(steps: StepResult[]): number | null {
  const pts = steps.filter((s) => s.workerRssMB !== null).map((s) => [s.classrooms, s.serverRssMB + s.workerRssMB!] as const);
  if (pts.length < 2) return null;
  const mx = pts.reduce((t, [x]) => t + x, 0) / pts.length;
  const my = pts.reduce((t, [, y]) => t + y, 0) / pts.length;
  const sxx = pts.reduce((t, [x]) => t + (x - mx) ** 2, 0);
  if (sxx === 0) return null;
  return round(pts.reduce((t, [x, y]) => t + (x - mx) * (y - my), 0) / sxx, 3);
}

export const NOT_MEASURED = {
  addedLatencyP99Ms:
    'null: SFU-added latency needs a WebRTC publisher stamping time into frames and WebRTC receivers reading it, against a direct wrtc-to-wrtc baseline (@roamhq/wrtc); not in this version.',
  joinP95Ms:
    'signalling join only (connect → resumeConsumer acks); ICE, DTLS and first-frame decode are not included, there are no WebRTC receivers in this run.',
  realReceivers: 'no mediasoup-client/wrtc receivers: packetsLost, framesDecoded and jitter-buffer delay on real receivers are not reported.',
};

export const NOTES = [
  'One mediasoup worker pinned to core 0 (taskset); this Node process (load generator, mediasoup channel, sample readers) and the ffmpeg publisher pinned to core 1.',
  'Bulk receivers are PlainTransports with SRTP (AES_CM_128_HMAC_SHA1_80), so the worker encrypts every packet as for a browser; their UDP sockets are bound and never read (Node reading stopped), so kernel RcvbufErrors grows by design and is not a loss signal.',
  'Loss is measured on the sampled readers only, from RTP sequence gaps per SSRC (headers are in clear under SRTP); it includes loss on the way in (ingressLossPct: the publisher → worker leg).',
  'On loopback the kernel delivers a sent datagram in the sender\'s context, so the worker CPU figure also carries part of the receive-side kernel work of its 1000 receivers: pessimistic against a real NIC.',
  'The publisher is one 720p25 VP8 layer (no simulcast; ffmpeg cannot send it), so consumers are SimpleConsumers; production classrooms get SimulcastConsumers, a little more work per packet.',
  'Bulk receivers send no RTCP (no receiver reports, NACKs or PLIs: that would need SRTCP on our side), so consumer scores only reflect the producer side and NACK/PLI counts stay at zero; transport-cc is left out of their capabilities for the same reason.',
  'Join time is signalling only (Socket.IO connect → … → resumeConsumer acks) through the production server in-process with one worker; it excludes ICE, DTLS and first-frame decode: no WebRTC receivers (@roamhq/wrtc) in this version.',
  'addedLatencyP99Ms is null: measuring SFU-added latency needs a WebRTC publisher stamping frames and WebRTC receivers reading them (wrtc), not part of this version.',
  'The worker is the project\'s build of mediasoup 3.12.16 against Debian 12 system libraries: SRTP goes through Debian\'s libsrtp2 (2.5.0, NSS crypto backend), whose per-packet cost this run does not isolate.',
  'Other engineers may run tests on this machine: each step records os.loadavg() so readers can judge noise.',
];

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return round(sorted[rank]!);
}
