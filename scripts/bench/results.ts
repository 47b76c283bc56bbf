import type { Flags } from './flags.js';
import type { JoinResult } from './joinTime.js';
import type { RealPhaseResult, RealReceiverStats } from './realReceivers.js';
import type { StepResult } from './ramp.js';
import type { Machine } from './system.js';
import { round } from './system.js';
import { median } from './cli.js';
import { KEY_FRAME_REQUEST_DELAY_MS } from '../../server/media/lessonMedia.js';

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
  /** Socket connect → first decoded frame, WebRTC classrooms (the definition). */
  joinP95Ms: number | null;
  /** Socket connect → resumeConsumer acks, no media (the earlier, narrower figure). */
  signallingJoinP95Ms: number | null;
  /**
   * Packet level, at the classroomsPerCore step: the teacher's paced top-layer packet handed
   * to the worker → the copy a classroom's socket got (forwardingLatency.ts).
   */
  forwardingLatencyP99Ms: number | null;
  forwardingLatencyP50Ms: number | null;
  /** The largest step that met the CPU and loss bars and kept forwarding p99 under the latency target. */
  classroomsWithinLatencyTarget: number | null;
  /** SFU p99 − direct wrtc-to-wrtc p99 of one-way frame latency, at the first --latency-layers layer (the top one by default). */
  addedLatencyP99Ms: number | null;
  addedLatencyP50Ms: number | null;
  /** The same at every layer measured, each beside its control (a second direct connection − the first: this host's resolution). */
  addedLatencyByLayer: { widthPx: number; addedP50Ms: number | null; addedP99Ms: number | null; controlP50Ms: number | null; controlP99Ms: number | null }[] | null;
  /** Per classroom connected through the production server (join.memoryPerClassroomMB), else the ramp slope. */
  rssPerClassroomMB: number | null;
  /** Slope of worker RSS + Node live heap over the ramp's bulk classrooms. */
  rampMemorySlopeMB: number | null;
  /** The WebRTC classrooms kept playing through the WebRTC phase, with their inbound-rtp figures. */
  realReceivers: RealReceiverStats[] | null;
  latency: RealPhaseResult['latency'] | null;
  realJoin: RealPhaseResult['join'] | null;
  realPhase: Pick<RealPhaseResult, 'publisherFramesSent' | 'publisherFps' | 'loadavg' | 'background'> | null;
  /**
   * The WebRTC phase again beside the ramp's capacity of bulk classrooms on the same worker
   * (--loaded-classrooms), this process pinned to the other core.
   */
  realUnderLoad: RealPhaseResult | null;
  /** The host's speed over the ramp (hostProbe.ts) and the capacity it implies at its fastest and slowest. */
  hostSpeed: HostSpeed | null;
  /** Why a headline figure is missing or narrower than the definition. */
  notMeasured: Record<string, string>;
  targets: typeof TARGETS;
  stoppedBy: string;
  steps: StepResult[];
  /** The signalling-only join phase. */
  join: JoinResult | null;
  notes: string[];
}

export interface HostSpeed {
  /** Each step's median probe µs per operation, over the ramp: median, fastest and slowest step. */
  probeUsPerOp: { median: number; fastest: number; slowest: number };
  /** At the classroomsPerCore step (else the last step): the worker's µs per packet in probe operations. */
  workerProbeOpsPerPacket: number;
  atClassrooms: number;
  /**
   * Classrooms at the CPU bar, linear from that step's cost in probe operations, had the host run
   * throughout at the ramp's fastest (and slowest) step's speed.
   */
  projected: { probeUsPerOp: number; classrooms: number }[];
  /** The worker's cost in probe operations per packet the target needs at the fastest speed. */
  targetProbeOpsPerPacket: number;
  /** Holds measured again because the host was in its slow state (steps[].setAside). */
  holdsSetAside: number;
}

/** Null without probe readings. */
export function hostSpeed(steps: StepResult[]): HostSpeed | null {
  const probed = steps.filter((s) => s.hostProbe?.usPerOp != null && s.workerProbeOpsPerPacket !== null && s.classroomPacketsPerS > 0);
  if (probed.length === 0) return null;
  const at = classroomsPerCore(probed) ?? probed.at(-1)!;
  const speeds = probed.map((s) => s.hostProbe!.usPerOp!).sort((a, b) => a - b);
  const ops = at.workerProbeOpsPerPacket!;
  const budgetUsPerS = (TARGETS.maxCpuPct / 100) * 1e6;
  const classroomsAt = (probeUs: number) => Math.floor(budgetUsPerS / (ops * probeUs * at.classroomPacketsPerS));
  const [fastest, slowest] = [speeds[0]!, speeds.at(-1)!];
  return {
    probeUsPerOp: { median: round(median(speeds), 3), fastest, slowest },
    workerProbeOpsPerPacket: ops,
    atClassrooms: at.classrooms,
    projected: [fastest, slowest].map((probeUsPerOp) => ({ probeUsPerOp, classrooms: classroomsAt(probeUsPerOp) })),
    targetProbeOpsPerPacket: round(budgetUsPerS / (TARGETS.classroomsPerCore * fastest * at.classroomPacketsPerS), 2),
    holdsSetAside: steps.reduce((n, s) => n + (s.setAside?.length ?? 0), 0),
  };
}

/** The largest step that met both the CPU and the loss bar (loss must have been measured). */
export function classroomsPerCore(steps: StepResult[]): StepResult | null {
  const ok = steps.filter((s) => s.workerCpuPct <= TARGETS.maxCpuPct && s.sampledLossPct !== null && s.sampledLossPct < TARGETS.maxLossPct);
  return ok.reduce<StepResult | null>((best, s) => (best === null || s.classrooms > best.classrooms ? s : best), null);
}

/** Like classroomsPerCore, and forwarding p99 under the latency target too. */
export function classroomsWithinLatencyTarget(steps: StepResult[]): number | null {
  const best = classroomsPerCore(steps.filter((s) => s.forwarding?.p99Ms != null && s.forwarding.p99Ms < TARGETS.addedLatencyP99Ms));
  return best?.classrooms ?? null;
}

/**
 * Memory per classroom: the least-squares slope against classrooms, over the whole ramp, of
 * the mediasoup worker's RSS (where consumers really live) plus Node's live heap after a full
 * GC (Node's RSS instead when GC is not exposed: noisier, garbage comes and goes).
 */
export function rssSlopeMB(steps: StepResult[]): number | null {
  const pts = steps
    .filter((s) => s.workerRssMB !== null)
    .map((s) => [s.classrooms, (s.nodeHeapMB ?? s.serverRssMB) + s.workerRssMB!] as const);
  if (pts.length < 2) return null;
  const mx = pts.reduce((t, [x]) => t + x, 0) / pts.length;
  const my = pts.reduce((t, [, y]) => t + y, 0) / pts.length;
  const sxx = pts.reduce((t, [x]) => t + (x - mx) ** 2, 0);
  if (sxx === 0) return null;
  return round(pts.reduce((t, [x, y]) => t + (x - mx) * (y - my), 0) / sxx, 3);
}

/** Why a headline figure is narrower than the definition; `loaded`: bulk classrooms beside the WebRTC phase. */
export function notMeasured(loaded: number): Record<string, string> {
  const out: Record<string, string> = {
    realReceiversAtScale:
      'Only a handful of WebRTC classrooms (mediasoup-client on @roamhq/wrtc) run at once; the ramp\'s bulk receivers do ICE and DTLS-SRTP but send no RTCP, so NACK/PLI, consumer scores and congestion control are exercised by the WebRTC classrooms (and by test/e2e/weakLink.test.ts in Chromium) but not by hundreds of receivers at once.',
    headlineOnIdleWorker:
      'joinP95Ms and addedLatencyP99Ms come from the WebRTC phase on an otherwise idle worker, with the wrtc load generator free to use both cores. The same phase beside the ramp\'s capacity of bulk classrooms is in realUnderLoad: there the generator (two single-layer encodes and two decoders per latency window, then one 3-layer 720p encode and the real receivers\' decoders: more than a core) is confined to one core so that the worker keeps its own, and its own starvation shows in the direct baseline as much as in the SFU path; on this 2-core host no arrangement gives both a saturated worker core and an unstarved generator.',
  };
  if (loaded === 0) out.underLoad = 'the WebRTC phase beside bulk classrooms did not run (--loaded-classrooms 0 or no step passed).';
  return out;
}

export const NOTES = [
  'One mediasoup worker pinned to core 0 (taskset); this Node process (load generator, mediasoup channel, sample readers) and the ffmpeg publisher pinned to core 1 for the ramp and the signalling join.',
  'Bulk receivers (setup.receivers; --bulk-transport webrtc, the default since 2026-12-04) are what a browser\'s classroom is to the worker: a WebRtcTransport on its WebRtcServer, so all of them are sent to through its one UDP socket, as in production. scripts/bench/icedtls.c does the browser\'s part: one ICE binding request and a DTLS handshake agreeing AEAD_AES_256_GCM (what Chromium negotiates with mediasoup 3.12, checked by test/e2e/liveLesson.test.ts), so the worker encrypts every packet as for a browser. Their UDP sockets are never read except the sample\'s (icedtls tallies those), so kernel RcvbufErrors grows by design and is not a loss signal. Before, every bulk receiver was a PlainTransport with SRTP keyed by us (--bulk-transport plain; bench/results/fanout-plaintransport*.*), each with a socket of its own on the worker\'s side: a send path production does not take, and one the worker\'s batched sends (scripts/patch-worker-batched-send.py) cannot batch.',
  'Loss is measured on the sampled readers only (WebRTC ones counted by icedtls, the latency readers by this process), from RTP sequence gaps per SSRC (headers are in clear under SRTP); it includes loss on the way in (ingressLossPct: the publisher → worker leg).',
  'On loopback the kernel delivers a sent datagram in the sender\'s context (softirq → IP → UDP → socket), so the worker CPU figure also carries receive-side kernel work a real NIC would not charge to it: pessimistic. perf profiles the worker after each hold (--profile-s; steps[].profile) and gives that share. Subtracting it would be too kind: a NIC\'s transmit path (qdisc, driver) costs what loopback skips. --egress tun measures that instead (bulk classrooms behind a tun device nobody reads: UDP/IP output, qdisc, the device\'s transmit queue; results in fanout-tun.*).',
  'The ramp\'s publisher sends the teacher page\'s three simulcast layers (CAMERA_SIMULCAST in client/lib/media.ts: 320×180, 640×360, 1280×720 at their maxBitrate) as three VP8 streams from one ffmpeg, relayed so they reach one PlainTransport from one address: classrooms get SimulcastConsumers, as in production. Every bulk classroom receives the top layer, the most packets: the worst case for the worker (per classroom kbit/s column).',
  'Bulk receivers send no RTCP (no receiver reports, NACKs or PLIs: that would need SRTCP on our side), so consumer scores only reflect the producer side and NACK/PLI counts stay at zero. They advertise no congestion-control feedback (transport-cc, REMB): with it, the worker\'s bandwidth estimate would stay at its 600 kbit/s start for lack of feedback and hold them on the middle layer.',
  'WebRTC phase: a fresh Tongke server in this process (one worker, core 0). The teacher and every classroom run the page\'s own media code (client/lib/media.ts MediaSession → mediasoup-client 3.18.7, Chrome111 handler) on @roamhq/wrtc 0.10.0 (libwebrtc in Node), over the production Socket.IO protocol. The teacher publishes a synthetic 720p25 camera as VP8 simulcast (3 layers, as CAMERA_SIMULCAST) + Opus; the real receivers get video + audio and report inbound-rtp packetsLost, framesDecoded, jitter-buffer delay (from the recv transport\'s RTCPeerConnection.getStats(): wrtc lacks RTCRtpReceiver.getStats()).',
  'joinP95Ms: socket connect → first decoded video frame on a WebRTC classroom (RTCVideoSink), classrooms starting at --join-rate per second while the real receivers keep playing; each leaves after its first frame. The signalling-only figure (no media) is signallingJoinP95Ms.',
  'Where the joining classrooms run (realJoin.processes): in a county each classroom page runs on its own PC, so by default the storm\'s pages run in --join-processes (4) child processes of their own (scripts/bench/stormProcess.ts), each warmed by one join of its own before the storm and a quiet spell after it (the page is loaded before the assistant joins; compiling its code is not part of a join); every join\'s start is fixed beforehand on the host\'s clock. With --join-processes 0 they run in this process, whose one JavaScript thread also runs the server, the teacher\'s page and the real receivers: there the storm measured mostly that thread\'s queue (realJoin.stormLoad: the host ~56% busy, this process ~100% of a core, its event loop up to ~120 ms late). realJoin.stormLoad gives, for the storm, the host\'s busy share of all cores, this process\'s CPU, the workers\' CPU and how late this process\'s event loop ran.',
  `Join to first frame: the first classroom decodes within ~0.2 s, later ones wait for a key frame, and the teacher is asked for at most one key frame per KEY_FRAME_REQUEST_DELAY_MS (${KEY_FRAME_REQUEST_DELAY_MS} ms, server/media/lessonMedia.ts; one window for all its simulcast layers, scripts/patch-worker-keyframe-window.py), so a join storm does not flood the encoder; a join arriving just after a key frame waits up to that long plus the encoder's response. realJoin.breakdown gives when each step of a join ended (p50/p95): socket, lesson:sync, consumer created and resumed, recv transport connected (ICE + DTLS), first decoded frame; realJoin.teacherKeyFrames what the storm cost the teacher's encoder; realJoin.loneJoinKeyFrames what each real receiver joining alone cost it (per layer: one for its first picture, and one more for each layer its climb from the 320-px start passes through, since libwebrtc answers a request on any layer with a key frame on all).`,
  'Latency (scripts/bench/frameLatency.ts): the publisher draws performance.now() into large luma blocks of every frame (scripts/bench/stamp.ts), the receiver\'s RTCVideoSink reads it back: capture → encode → pacer → send → [SFU] → jitter buffer → decode, same process and clock. It runs before the teacher publishes the camera, with matched senders, once per --latency-layers (default the top layer, 1280 px at 1.8 Mbit/s, then the smallest, 320 px at 150 kbit/s): the SFU path is the teacher\'s page code publishing the track as one layer of that size and cap (the screen source) on a connection of its own, received by a probe classroom (video only, so lip sync does not enter); the baseline a direct wrtc-to-wrtc connection with the same size, cap and start bitrate (the page\'s x-google-start-bitrate), fed the same frames at the same time; addedLatency = SFU − direct at the first layer (latency.layers[].sfu). latency.layers[].control: right after, with the SFU path taken down, a second direct connection, identical to the first, compared with it in the same way at the same load: how far two identical paths differ on this host, i.e. the resolution of the comparison (addedLatencyByLayer gives both). Each path gives its bitrate, its sender\'s pacer delay and its receiver\'s jitter buffer over the window; paired compares the same frame through both paths. Until 2026-12-03 the SFU path\'s stream shared the teacher\'s connection with the simulcast layers and Opus, and the direct sender began its bandwidth estimate at libwebrtc\'s 300 kbit/s instead of the page\'s 1000: its pacer queue and its receiver\'s jitter buffer were longer, and SFU − direct moved by tens of ms from run to run. The real receivers\' own figures (with audio, so video waits for lip sync; sampled afterwards, while the teacher sends simulcast) are under latency.receiversWithAudio.',
  'Forwarding latency (steps[].forwarding, forwardingLatencyP99Ms): the ramp\'s relay paces the publisher\'s packets as Chrome does (leaky bucket at 2.5× the layers\' bitrate, every 5 ms; ffmpeg alone writes each frame as one burst) and stamps each top-layer packet as it hands it to the worker; --latency-readers of the sampled classrooms (default 3) receive without SRTP, so each packet they get is matched to the stamped one by payload length and its last 12 bytes (the worker rewrites headers and the VP8 descriptor, not the end of the payload). Both stamps are taken in this process on one clock: the figure includes two loopback hops and this process\'s event-loop delay, and at each step the worker\'s fan-out of every packet to all classrooms (it sends a packet to each of them before it reads the next), which is what grows with the step.',
  'The worker\'s forwarding itself costs microseconds per packet (µs/packet column); what else separates the latency paths is the senders\' pacers, the receivers\' adaptive jitter buffers and when the OS schedules the wrtc threads (at the top layer two 720p encoders and two decoders in this process), all of which move with machine load: read SFU − direct against the control (direct − direct) at the same layer, and on a loaded host neither is a property of the SFU alone.',
  'With --loaded-classrooms (default: the ramp\'s classroomsPerCore) the WebRTC phase runs a second time beside that many bulk classrooms on the same worker (a second router fed by the ffmpeg publisher), this process pinned to the other core (realUnderLoad; realUnderLoad.background gives the worker\'s CPU and the bulk classrooms\' loss meanwhile).',
  'During the WebRTC phase this process is unpinned (both cores): its wrtc peers (two single-layer encodes and two decoders per latency window, then a 3-layer simulcast encode and the real receivers\' decoders) share the 2 cores with the worker and anything else running; on a loaded host the latency and join figures carry scheduling delay on both paths (the jitter buffers grow with it) and the synthetic camera may not keep 25 fps: read them with the phase\'s loadavg and publisherFps.',
  'The worker is the project\'s build of mediasoup 3.12.16 against Debian 12 system libraries, with libsrtp2 rebuilt against OpenSSL and our source patches (scripts/patch-worker-*.py: TCP_NODELAY, one key-frame window for all simulcast layers, the kernel\'s receive time in transport-cc feedback, a fan-out\'s datagrams to the WebRtcServer socket sent in sendmmsg batches, NACK-buffer items recycled; scripts/patch-srtp-*.py: AES-GCM\'s IV length set once per key).',
  'Other engineers may run tests on this machine: each step records os.loadavg() so readers can judge noise.',
  'The host\'s speed (steps[].hostProbe, hostSpeed; scripts/bench/hostprobe.c): this VM runs in a fast and a slow state that change by the minute and the hour (at a steady 300–311 classrooms the worker took 55–67% of the core in one and 85–95% in the other). Beside the ramp a probe on the worker\'s core, at SCHED_IDLE, times a fixed operation (AES-GCM of a 1,200-byte packet and its sendto to an unread loopback socket; the fastest of 20 batches of 50 every 250 ms, in its own CPU time): ~3.5 µs in the fast state, ~5 µs in the slow one. workerProbeOpsPerPacket = worker µs per packet ÷ the probe\'s µs: the worker\'s cost with the host\'s speed switch divided out, which is what to compare between runs and hours; it does not divide out neighbours\' contention for the shared caches and memory, which the probe\'s small working set does not feel (README "What the probe misses"). hostSpeed.projected gives the capacity the capacity step\'s cost implies at the ramp\'s fastest and slowest probe speeds (linear, as a guide, not a measurement).',
];

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return round(sorted[rank]!);
}
