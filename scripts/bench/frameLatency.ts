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
 * A second direct connection, identical to the first, is the control: how far two identical paths
 * differ on this host (the comparison's resolution).
 */
import { CAMERA_SIMULCAST, type MediaSession } from '../../client/lib/media.js';
import { closeJoined, transportPc, type Joined } from './classroomJoin.js';
import { onCleanup } from './cleanup.js';
import { startDirectPeer, type DirectPeer } from './directPeer.js';
import { pairFrames, summarize, type LatencySummary, type Paired } from './latency.js';
import { startHostLoad, type HostLoad } from './hostLoad.js';
import { round, sleep } from './system.js';
import { WIDTH, type SyntheticCamera } from './wrtc.js';

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

export interface FrameLatency {
  /** The teacher's simulcast layer both senders send (CAMERA_SIMULCAST index), its width and cap. */
  layer: { index: number; width: number; maxKbps: number };
  seconds: number;
  /** How busy the host and this process (every sender and receiver above) were while sampling. */
  host: HostLoad;
  sfu: PathFigures;
  direct: PathFigures;
  /** Per frame (same stamp through both paths): SFU − direct. */
  pairedAdded: Paired;
  /** The control: a second direct connection, identical to the first, against it. How far two identical paths differ on this host. */
  control: { direct: PathFigures; paired: Paired; addedP50Ms: number | null; addedP99Ms: number | null };
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

export async function pacerDelayMs(pc: Pc | undefined, ssrc: number | undefined): Promise<number | null> {
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

function pathFigures(reader: Joined['reader'], before: InboundVideo, after: InboundVideo, seconds: number, pacerMs: number | null): PathFigures {
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

/**
 * Publishes the camera track once as the teacher's single-layer 'screen' source, which only the
 * probe classroom receives (video only: no lip sync holding video back), and once over a direct
 * connection; samples both for `seconds`; then takes both down again.
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
  const { maxBitrate, scaleResolutionDownBy } = CAMERA_SIMULCAST[args.layer]!;
  const enc = { maxBitrate: maxBitrate!, scaleResolutionDownBy: scaleResolutionDownBy! };
  const producer = await teacher.publish(camera.video, 'screen', { simulcast: [enc] });
  const directs = [await startDirectPeer(camera.video, isReading, enc), await startDirectPeer(camera.video, isReading, enc)];
  const [direct, control] = directs as [DirectPeer, DirectPeer];
  const closeDirect = () =>
    directs.forEach((d) => {
      d.reader.stop();
      d.close();
    });
  onCleanup('direct peers', closeDirect);
  const probes: Joined[] = [];
  onCleanup('latency probe', () => probes.forEach(closeJoined));
  try {
    const probe = await args.joinProbe(isReading, (j) => probes.push(j));
    const probePc = await transportPc(probe.session, 'recv');
    const pcs = [probePc, direct.receiver as unknown as Pc, control.receiver as unknown as Pc];
    await sleep(WARMUP_MS);
    await args.onSampling?.();
    const before = await Promise.all(pcs.map(inboundVideo));
    const hostLoad = startHostLoad();
    reading = true;
    await sleep(seconds * 1000);
    reading = false;
    const host = hostLoad.stop();
    const after = await Promise.all(pcs.map(inboundVideo));
    const path = (i: number, reader: Joined['reader'], pacerMs: number | null) => pathFigures(reader, before[i]!, after[i]!, host.seconds, pacerMs);
    const sfu = path(0, probe.reader, await pacerDelayMs(await transportPc(teacher, 'send'), producer.rtpParameters.encodings?.[0]?.ssrc));
    const dir = path(1, direct.reader, await pacerDelayMs(direct.sender as unknown as Pc, undefined));
    const ctl = path(2, control.reader, await pacerDelayMs(control.sender as unknown as Pc, undefined));
    const added = (a: PathFigures, b: PathFigures, p: 'p50Ms' | 'p99Ms') => (a.latency[p] === null || b.latency[p] === null ? null : round(a.latency[p] - b.latency[p]));
    const layer = { index: args.layer, width: Math.round(WIDTH / enc.scaleResolutionDownBy), maxKbps: enc.maxBitrate / 1000 };
    const result: FrameLatency = {
      layer,
      seconds,
      host,
      sfu,
      direct: dir,
      pairedAdded: pairFrames(probe.reader.byStamp, direct.reader.byStamp),
      control: {
        direct: ctl,
        paired: pairFrames(control.reader.byStamp, direct.reader.byStamp),
        addedP50Ms: added(ctl, dir, 'p50Ms'),
        addedP99Ms: added(ctl, dir, 'p99Ms'),
      },
      addedP50Ms: added(sfu, dir, 'p50Ms'),
      addedP99Ms: added(sfu, dir, 'p99Ms'),
      measures:
        'capture (performance.now() stamped into the I420 frame) → VP8 encode → pacer → send → [SFU] → jitter buffer → decode → RTCVideoSink callback, one process and clock. ' +
        "SFU path: the teacher's page code publishing the track as one layer (the size and cap of the simulcast layer named in `layer`) on a connection of its own, received by a probe classroom (video only). " +
        'Direct: the same track over a direct wrtc-to-wrtc connection with the same size, cap and start bitrate, sampled at the same time; control: a second one, compared with the first as the SFU path is. ' +
        'added = SFU − direct (p50 of one minus p50 of the other, and p99); pairedAdded the same frame through both paths.',
    };
    log(
      `real: frame latency at ${layer.width} px, p50/p99 SFU ${sfu.latency.p50Ms}/${sfu.latency.p99Ms} ms, direct ${dir.latency.p50Ms}/${dir.latency.p99Ms} ms ` +
        `(jitter buffer ${sfu.jitterBufferMs}/${dir.jitterBufferMs} ms, ${sfu.kbps}/${dir.kbps} kbit/s, pacer ${sfu.senderPacerMs}/${dir.senderPacerMs} ms); ` +
        `host ${host.hostBusyPct}% busy, this process ${host.processCpuPct}%; added p50/p99 ${result.addedP50Ms}/${result.addedP99Ms} ms, per frame ${result.pairedAdded.p50Ms}/${result.pairedAdded.p99Ms} ms; ` +
        `control (a second direct connection − the first) ${result.control.addedP50Ms}/${result.control.addedP99Ms} ms, per frame ${result.control.paired.p50Ms}/${result.control.paired.p99Ms} ms ` +
        `(control: ${ctl.latency.p50Ms}/${ctl.latency.p99Ms} ms, jitter buffer ${ctl.jitterBufferMs} ms, pacer ${ctl.senderPacerMs} ms)`,
    );
    return result;
  } finally {
    probes.forEach(closeJoined);
    closeDirect();
    await teacher.unpublish('screen');
  }
}
