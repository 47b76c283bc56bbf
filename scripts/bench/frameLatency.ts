/**
 * Phase 3's frame-level latency: how much later a frame is decoded through the SFU than over a
 * direct wrtc-to-wrtc connection fed the same frames at the same time, on this host's clock.
 *
 * The two senders are matched, so that only the path differs: each is a peer connection of its
 * own carrying one VP8 stream at one of the teacher's simulcast layers (its size and cap), with
 * the page's start bitrate. It runs before the teacher publishes the camera. Until 2026-12-03 the
 * SFU path's stream shared the teacher's connection with the simulcast layers and Opus, and the
 * direct sender started its bandwidth estimate at libwebrtc's 300 kbit/s where the page starts at
 * 1000: its pacer queue and its receiver's jitter buffer were longer, and the difference moved by
 * tens of ms from run to run.
 *
 * The control is a second direct connection, identical to the first, sampled against it right
 * after at the same load: how far two identical paths differ on this host (the comparison's
 * resolution). With three connections at once instead, at 720p, any one of them now and then
 * fell behind by 30–80 ms (its bandwidth estimate and pacer), the SFU path's as often as not.
 */
import { CAMERA_SIMULCAST, type MediaSession } from '../../client/lib/media.js';
import { closeJoined, transportPc, type Joined } from './classroomJoin.js';
import { onCleanup } from './cleanup.js';
import { startDirectPeer, type DirectPeer } from './directPeer.js';
import { pairFrames, summarize, type LatencySummary, type Paired } from './latency.js';
import { startHostLoad, type HostLoad } from './hostLoad.js';
import { round, sleep } from './system.js';
import { WIDTH, type StampReader, type SyntheticCamera } from './wrtc.js';

/** The bandwidth estimates ramp up before latency is sampled. */
const WARMUP_MS = 6_000;

export interface PathFigures {
  latency: LatencySummary;
  /** Mean time a frame waited in the receiver's jitter buffer during the window (jitterBufferDelay / jitterBufferEmittedCount). */
  jitterBufferMs: number | null;
  kbps: number | null;
  framesDecoded: number;
  packetsLost: number;
  /** Mean time a packet waited in the sender's pacer (outbound-rtp totalPacketSendDelay / packetsSent). */
  senderPacerMs: number | null;
}

/** Two paths sampled side by side: a against b. */
export interface Comparison {
  /** How busy the host and this process (every sender and receiver) were while sampling. */
  host: HostLoad;
  a: PathFigures;
  b: PathFigures;
  /** Per frame (same stamp through both paths): a − b. */
  paired: Paired;
  addedP50Ms: number | null;
  addedP99Ms: number | null;
}

export interface FrameLatency {
  /** The teacher's simulcast layer both senders send (CAMERA_SIMULCAST index), its width and cap. */
  layer: { index: number; width: number; maxKbps: number };
  seconds: number;
  /** The SFU path (a) against the direct connection (b). */
  sfu: Comparison;
  /** The control: a second direct connection (a), identical to the first (b), against it. How far two identical paths differ on this host. */
  control: Comparison;
  /** sfu.addedP50Ms and sfu.addedP99Ms. */
  addedP50Ms: number | null;
  addedP99Ms: number | null;
  measures: string;
}

type Pc = RTCPeerConnection;

/** A receiver's cumulative video inbound-rtp counters at one moment. */
interface InboundVideo {
  /** jitterBufferDelay, ms, summed over the frames that left the jitter buffer. */
  waitedMs: number;
  emitted: number;
  bytes: number;
  frames: number;
  lost: number;
}

async function inboundVideo(pc: Pc | undefined): Promise<InboundVideo> {
  const out = { waitedMs: 0, emitted: 0, bytes: 0, frames: 0, lost: 0 };
  if (!pc) return out;
  (await pc.getStats()).forEach((s: Record<string, unknown>) => {
    if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
    out.waitedMs += Number(s.jitterBufferDelay ?? 0) * 1000;
    out.emitted += Number(s.jitterBufferEmittedCount ?? 0);
    out.bytes += Number(s.bytesReceived ?? 0);
    out.frames += Number(s.framesDecoded ?? 0);
    out.lost += Number(s.packetsLost ?? 0);
  });
  return out;
}

async function pacerDelayMs(pc: Pc | undefined, ssrc: number | undefined): Promise<number | null> {
  if (!pc) return null;
  let result: number | null = null;
  (await pc.getStats()).forEach((s: Record<string, unknown>) => {
    if (s.type !== 'outbound-rtp' || s.kind !== 'video') return;
    if (ssrc !== undefined && Number(s.ssrc) !== ssrc) return;
    const sent = Number(s.packetsSent ?? 0);
    if (sent > 0 && s.totalPacketSendDelay !== undefined) result = round((Number(s.totalPacketSendDelay) / sent) * 1000);
  });
  return result;
}

function pathFigures(reader: StampReader, before: InboundVideo, after: InboundVideo, seconds: number, pacerMs: number | null): PathFigures {
  const emitted = after.emitted - before.emitted;
  return {
    latency: summarize(reader.latencies, reader.unreadable(), reader.widths),
    jitterBufferMs: emitted > 0 ? round((after.waitedMs - before.waitedMs) / emitted) : null,
    kbps: round(((after.bytes - before.bytes) * 8) / seconds / 1000),
    framesDecoded: after.frames - before.frames,
    packetsLost: after.lost - before.lost,
    senderPacerMs: pacerMs,
  };
}

interface Path {
  reader: StampReader;
  pc: Pc | undefined;
  pacerMs: () => Promise<number | null>;
}

/** Samples two paths side by side for `seconds`: `a` against `b`. */
async function comparePaths(a: Path, b: Path, seconds: number, setReading: (on: boolean) => void): Promise<Comparison> {
  a.reader.reset();
  b.reader.reset();
  const before = await Promise.all([inboundVideo(a.pc), inboundVideo(b.pc)]);
  const hostLoad = startHostLoad();
  setReading(true);
  await sleep(seconds * 1000);
  setReading(false);
  const host = hostLoad.stop();
  const after = await Promise.all([inboundVideo(a.pc), inboundVideo(b.pc)]);
  const fa = pathFigures(a.reader, before[0], after[0], host.seconds, await a.pacerMs());
  const fb = pathFigures(b.reader, before[1], after[1], host.seconds, await b.pacerMs());
  const added = (p: 'p50Ms' | 'p99Ms') => (fa.latency[p] === null || fb.latency[p] === null ? null : round(fa.latency[p] - fb.latency[p]));
  return { host, a: fa, b: fb, paired: pairFrames(a.reader.byStamp, b.reader.byStamp), addedP50Ms: added('p50Ms'), addedP99Ms: added('p99Ms') };
}

/**
 * Publishes the camera track as the teacher's single-layer 'screen' source, which only the probe
 * classroom receives (video only: no lip sync holding video back), and over a direct connection,
 * and samples both for `seconds`. Then, with the SFU path taken down, a second direct connection
 * against the first for as long: the control, at the same load (two encoders, two decoders).
 */
export async function measureFrameLatency(args: {
  teacher: MediaSession;
  camera: SyntheticCamera;
  /** CAMERA_SIMULCAST index. */
  layer: number;
  seconds: number;
  joinProbe: (reading: () => boolean, keep: (j: Joined) => void) => Promise<Joined>;
  /** Called right before sampling starts. */
  onSampling?: () => Promise<void>;
  log: (line: string) => void;
}): Promise<FrameLatency> {
  const { teacher, camera, seconds, log } = args;
  let reading = false;
  const isReading = () => reading;
  const setReading = (on: boolean) => void (reading = on);
  const { maxBitrate, scaleResolutionDownBy } = CAMERA_SIMULCAST[args.layer]!;
  const enc = { maxBitrate: maxBitrate!, scaleResolutionDownBy: scaleResolutionDownBy! };
  const layer = { index: args.layer, width: Math.round(WIDTH / enc.scaleResolutionDownBy), maxKbps: enc.maxBitrate / 1000 };
  const directs: DirectPeer[] = [];
  const closeDirects = () =>
    directs.forEach((d) => {
      d.reader.stop();
      d.close();
    });
  onCleanup('direct peers', closeDirects);
  const probes: Joined[] = [];
  onCleanup('latency probe', () => probes.forEach(closeJoined));
  const directPath = async (): Promise<Path> => {
    const d = await startDirectPeer(camera.video, isReading, enc);
    directs.push(d);
    return { reader: d.reader, pc: d.receiver as unknown as Pc, pacerMs: () => pacerDelayMs(d.sender as unknown as Pc, undefined) };
  };
  try {
    const producer = await teacher.publish(camera.video, 'screen', { simulcast: [enc] });
    const direct = await directPath();
    const probe = await args.joinProbe(isReading, (j) => probes.push(j));
    const sfuPath: Path = {
      reader: probe.reader,
      pc: await transportPc(probe.session, 'recv'),
      pacerMs: async () => pacerDelayMs(await transportPc(teacher, 'send'), producer.rtpParameters.encodings?.[0]?.ssrc),
    };
    await sleep(WARMUP_MS);
    await args.onSampling?.();
    const sfu = await comparePaths(sfuPath, direct, seconds, setReading);
    probes.forEach(closeJoined);
    await teacher.unpublish('screen');
    const second = await directPath();
    await sleep(WARMUP_MS);
    const control = await comparePaths(second, direct, seconds, setReading);
    const result: FrameLatency = {
      layer,
      seconds,
      sfu,
      addedP50Ms: sfu.addedP50Ms,
      addedP99Ms: sfu.addedP99Ms,
      control,
      measures:
        'capture (performance.now() stamped into the I420 frame) → VP8 encode → pacer → send → [SFU] → jitter buffer → decode → RTCVideoSink callback, one process and clock. ' +
        "SFU path: the teacher's page code publishing the track as one layer (the size and cap of the simulcast layer named in `layer`) on a connection of its own, received by a probe classroom (video only). " +
        'Direct: the same track over a direct wrtc-to-wrtc connection with the same size, cap and start bitrate, sampled at the same time. ' +
        'control: right after, with the SFU path taken down, a second direct connection (a) against the first (b), sampled in the same way for as long. ' +
        'added = SFU − direct (p50 of one minus p50 of the other, and p99); paired: the same frame through both paths, frame by frame.',
    };
    const line = (c: Comparison, name: string) =>
      `${name} − direct p50/p99 ${c.addedP50Ms}/${c.addedP99Ms} ms (per frame ${c.paired.p50Ms}/${c.paired.p99Ms}; ${name} ${c.a.latency.p50Ms}/${c.a.latency.p99Ms}, direct ${c.b.latency.p50Ms}/${c.b.latency.p99Ms} ms; ` +
      `jitter buffer ${c.a.jitterBufferMs}/${c.b.jitterBufferMs} ms, ${c.a.kbps}/${c.b.kbps} kbit/s, pacer ${c.a.senderPacerMs}/${c.b.senderPacerMs} ms; host ${c.host.hostBusyPct}% busy)`;
    log(`real: frame latency at ${layer.width} px: ${line(sfu, 'SFU')}; control: ${line(control, 'second direct')}`);
    return result;
  } finally {
    probes.forEach(closeJoined);
    closeDirects();
    await teacher.unpublish('screen');
  }
}
