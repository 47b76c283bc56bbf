/**
 * Phase 3 of bench-fanout: WebRTC end to end through the production path. A real Tongke
 * server in this process; the teacher's page code (client/lib/media.ts MediaSession, i.e.
 * mediasoup-client 3.18.7's Chrome111 handler) on @roamhq/wrtc publishes a synthetic 720p
 * VP8 simulcast camera that stamps its send time into every frame, plus Opus. Classrooms
 * are the same page code on wrtc. Measures, per real receiver, inbound-rtp stats; the
 * join time socket connect → first decoded frame; and one-way frame latency through the SFU
 * against a direct wrtc-to-wrtc connection fed the same track at the same time.
 */
import { KEY_FRAME_REQUEST_DELAY_MS } from '../../server/media/lessonMedia.js';
import { CAMERA_SIMULCAST } from '../../client/lib/media.js';
import { closeJoined, joinBreakdown, joinClassroom, JOIN_MARKS, JOIN_TIMEOUT_MS, pretendChrome, startBenchTeacher, stormJoin, transportPc, type JoinBreakdown, type Joined, type JoinMarks, type StormJoin } from './classroomJoin.js';
import { startBackgroundLoad } from './background.js';
import type { ProbeWindow } from './hostProbe.js';
import { onCleanup } from './cleanup.js';
import { startDelayProxy } from './delayProxy.js';
import { measureFrameLatency, type FrameLatency } from './frameLatency.js';
import { startHostLoad, type HostLoad } from './hostLoad.js';
import { startStormPool } from './stormPool.js';
import type { Flags } from './flags.js';
import { benchClassroomId, joinSummary, startBenchLesson, type JoinResult } from './joinTime.js';
import { summarize, type LatencySummary } from './latency.js';
import type { WorkerPool } from '../../server/media/workerPool.js';
import { loadavg, round, sleep, withTimeout } from './system.js';
import { installWebRtcGlobals } from './wrtc.js';
import { startSyntheticCamera } from './wrtc.js';

export interface RealReceiverStats {
  classroomId: string;
  joinMs: number | null;
  framesDecoded: number;
  packetsLost: number;
  packetsReceived: number;
  audioPacketsLost: number;
  audioPacketsReceived: number;
  /** jitterBufferDelay / jitterBufferEmittedCount, video. */
  jitterBufferMs: number | null;
  frameWidth: number | null;
  latency: LatencySummary;
}

export interface RealPhaseResult {
  receivers: RealReceiverStats[];
  latency: {
    /** Frame-level latency, SFU against direct (frameLatency.ts), per --latency-layers; the first is the headline. */
    layers: FrameLatency[];
    /** The real receivers (video + audio, so video waits for lip sync): not the headline. */
    receiversWithAudio: LatencySummary;
  };
  join: Omit<JoinResult, 'loadavg'> & {
    breakdown: JoinBreakdown;
    /** The storm processes the joining pages ran in (--join-processes); 0: this process. */
    processes: number;
    /** How busy the host, this process (server, teacher, classrooms) and the lesson's worker were during the storm. */
    stormLoad: HostLoad & { workerCpuPct: number };
    /** Frames each real receiver decoded during the storm: they kept playing. */
    receiversFramesDecoded: number[];
    /** Key frames (and all frames) the teacher's encoder made per simulcast layer (rid) from the storm's start to its last join. */
    teacherKeyFrames: { seconds: number; byLayer: Record<string, number>; framesByLayer: Record<string, number> };
    /** Key frames per layer (the most of any layer) the teacher's encoder made for each real receiver joining alone. */
    loneJoinKeyFrames: number[];
  };
  /**
   * The bulk classrooms the worker kept serving during this phase, with its CPU and their
   * sampled loss from the start of latency sampling to the end of the join storm.
   */
  background: { classrooms: number; workerCpuPct: number; sampledLossPct: number | null; hostProbe: ProbeWindow | null } | null;
  publisherFramesSent: number;
  /** Frames the synthetic camera actually produced per second (25 asked; timers slip under load). */
  publisherFps: number;
  loadavg: [number, number, number];
}

/** The teacher's simulcast layers and bandwidth estimate ramp up before the receivers' latency is sampled. */
const WARMUP_MS = 6_000;
/** Longer than the key-frame throttle (KEY_FRAME_REQUEST_DELAY_MS), so a lone join's delayed request shows. */
const LONE_JOIN_QUIET_MS = KEY_FRAME_REQUEST_DELAY_MS + 1_000;

type Inbound = Omit<RealReceiverStats, 'classroomId' | 'joinMs' | 'latency'>;

/**
 * wrtc has no RTCRtpReceiver.getStats(), so mediasoup-client's consumer.getStats() throws:
 * read the recv transport's peer connection instead (one classroom = one recv transport =
 * the teacher's video + audio).
 */
async function inboundStats(j: Joined): Promise<Inbound> {
  return pcInboundStats(await transportPc(j.session, 'recv'));
}

async function pcInboundStats(pc: RTCPeerConnection | undefined): Promise<Inbound> {
  const out: Inbound = { framesDecoded: 0, packetsLost: 0, packetsReceived: 0, audioPacketsLost: 0, audioPacketsReceived: 0, jitterBufferMs: null, frameWidth: null };
  if (!pc) return out;
  (await pc.getStats()).forEach((s: Record<string, unknown>) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'video') {
        out.framesDecoded += Number(s.framesDecoded ?? 0);
        out.packetsLost += Number(s.packetsLost ?? 0);
        out.packetsReceived += Number(s.packetsReceived ?? 0);
        const emitted = Number(s.jitterBufferEmittedCount ?? 0);
        if (emitted > 0) out.jitterBufferMs = round((Number(s.jitterBufferDelay ?? 0) / emitted) * 1000);
        if (s.frameWidth !== undefined) out.frameWidth = Number(s.frameWidth);
      } else if (s.kind === 'audio') {
        out.audioPacketsLost += Number(s.packetsLost ?? 0);
        out.audioPacketsReceived += Number(s.packetsReceived ?? 0);
      }
  });
  return out;
}

export async function measureRealReceivers(
  flags: Flags,
  log: (line: string) => void,
  load: { file: string; classrooms: number },
): Promise<RealPhaseResult> {
  installWebRtcGlobals();
  pretendChrome();
  const nReal = flags['real-receivers'];
  const nJoin = flags['real-joins'];
  const latencySeconds = flags['latency-seconds'];
  const nProcesses = flags['join-processes'];
  // Classrooms: the real receivers, the storm, a latency probe per layer, one warm-up per storm process.
  const { server, lessonId } = await startBenchLesson(flags, nReal + nJoin + flags['latency-layers'].length + nProcesses);
  const background = load.classrooms > 0 ? await startBackgroundLoad(server.pool, flags, load.file, load.classrooms) : null;
  if (background) log(`real: the lesson's worker also forwards to ${background.classrooms} bulk classrooms throughout this phase`);
  const token = (i: number) => server.tokens.sign({ role: 'assistant', lessonId, classroomId: benchClassroomId(i) }, 600);

  // Bounded: the camera stops by itself even if this phase hangs. It runs through two sampling
  // windows per latency layer and the real receivers' one, each after a warm-up, then the storm.
  const cameraStart = performance.now();
  const camera = startSyntheticCamera((2 * flags['latency-layers'].length + 1) * (latencySeconds + 15) + nJoin / flags['join-rate'] + 120);
  onCleanup('synthetic camera', () => camera.stop());
  const teacher = await startBenchTeacher(server, lessonId);
  // The SFU's share of frame latency first, while the teacher's connection carries nothing else;
  // one probe classroom per layer measured.
  const layers = flags['latency-layers'];
  const frameLatency: FrameLatency[] = [];
  for (const [i, layer] of layers.entries()) {
    const probe = nReal + nJoin + i;
    frameLatency.push(
      await measureFrameLatency({
        teacher,
        camera,
        layer,
        seconds: latencySeconds,
        joinProbe: async (reading, keep) =>
          withTimeout(joinClassroom(server.url, await token(probe), benchClassroomId(probe), reading, keep, 'screen'), JOIN_TIMEOUT_MS, 'latency probe join'),
        // The bulk classrooms' figures run from the first sample to the storm's end.
        onSampling: async () => void (i === 0 && (await background?.mark())),
        log,
      }),
    );
  }
  await teacher.publish(camera.video, 'camera', { simulcast: CAMERA_SIMULCAST });
  await teacher.publish(camera.audio, 'microphone');
  log(`real: teacher publishing 720p VP8 simulcast + Opus from wrtc`);

  let reading = false;
  const isReading = () => reading;
  const teacherPc = await transportPc(teacher, 'send');
  const receivers: Joined[] = [];
  onCleanup('real receivers', () => receivers.forEach(closeJoined));
  // The real receivers join one at a time, each after a quiet spell longer than the key-frame
  // throttle: what a join costs the teacher's encoder when no storm shares the cost.
  const loneKeyFrames: number[] = [];
  for (let i = 0; i < nReal; i++) {
    await sleep(LONE_JOIN_QUIET_MS);
    const before = await encoderCounts(teacherPc);
    const j = await withTimeout(joinClassroom(server.url, await token(i), benchClassroomId(i), isReading, (x) => receivers.push(x)), JOIN_TIMEOUT_MS, 'real receiver join');
    await sleep(LONE_JOIN_QUIET_MS);
    const after = await encoderCounts(teacherPc);
    const top = Math.max(0, ...[...after].map(([rid, n]) => n - (before.get(rid) ?? 0)));
    loneKeyFrames.push(top);
    log(`real: ${j.classroomId} first frame after ${round(j.joinMs)} ms; the teacher encoded ${top} key frame(s) per layer for it`);
  }
  await sleep(WARMUP_MS);
  reading = true;
  await sleep(latencySeconds * 1000);
  reading = false;
  const withAudio = summarize(
    receivers.flatMap((r) => r.reader.latencies),
    receivers.reduce((t, r) => t + r.reader.unreadable(), 0),
    mergeWidths(receivers.map((r) => r.reader.widths)),
  );
  log(`real: receivers with audio (lip sync) latency p50/p99 ${withAudio.p50Ms}/${withAudio.p99Ms} ms`);

  // The real receivers have read their samples. Their pages keep receiving and decoding (their
  // framesDecoded below), but stop handing every decoded 720p frame to this process's one
  // JavaScript thread, which also runs the server: on a classroom PC that is the page's work.
  for (const r of receivers) r.reader.stop();

  // Join storm: classrooms join at the given rate while the real receivers keep playing;
  // each leaves after its first decoded frame, so only a few decode at once on a small host.
  // With --join-processes N they run in N processes of their own, each warmed by one join
  // beforehand (stormProcess.ts); with 0, in this process, beside the server and the teacher.
  const times: number[] = [];
  const marks: JoinMarks[] = [];
  const errors: string[] = [];
  const tokens = await Promise.all(Array.from({ length: nJoin }, (_, i) => token(nReal + i)));
  const joinUrl = flags['join-rtt-ms'] > 0 ? (await startDelayProxy(new URL(server.url), flags['join-rtt-ms'])).href : server.url;
  const joinOne = await stormJoiner(nProcesses, log, async (k) => ({ token: await token(nReal + nJoin + layers.length + k), classroomId: benchClassroomId(nReal + nJoin + layers.length + k) }), joinUrl);
  const keyFramesBefore = await encoderCounts(teacherPc);
  const framesBefore = await encoderCounts(teacherPc, 'framesEncoded');
  const decodedBefore = await Promise.all(receivers.map(async (r) => (await inboundStats(r)).framesDecoded));
  const workerCpuBefore = await workerCpuMs(server.pool);
  const hostLoad = startHostLoad();
  // Every join's start is fixed before the first one goes, in one clock for all processes.
  const t0 = performance.now();
  const epoch0 = Date.now() + 200;
  await Promise.all(
    tokens.map(async (tk, i) => {
      try {
        const j = await withTimeout(joinOne({ url: joinUrl, token: tk, classroomId: benchClassroomId(nReal + i), atEpochMs: epoch0 + (i * 1000) / flags['join-rate'] }), JOIN_TIMEOUT_MS + 2_000, 'join');
        times.push(j.joinMs);
        marks.push(j.marks);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }),
  );
  const join = joinSummary(
    times,
    errors,
    nJoin,
    flags['join-rate'],
    'socket connect → lesson:sync → getRouterRtpCapabilities with createTransport (asked together) → consume → ICE + DTLS → resumeConsumer → first decoded video frame (RTCVideoSink), ' +
      'each classroom a mediasoup-client Device (client/lib/media.ts) on @roamhq/wrtc; it leaves right after its first frame. ' +
      (nProcesses > 0 ? `The joining pages run in ${nProcesses} warmed processes of their own.` : 'The joining pages run in the benchmark\'s process, beside the server and the teacher.'),
  );
  const stormLoad = { ...hostLoad.stop(), workerCpuPct: round((100 * ((await workerCpuMs(server.pool)) - workerCpuBefore)) / (performance.now() - t0)) };
  const decodedDuringStorm = await Promise.all(receivers.map(async (r, i) => (await inboundStats(r)).framesDecoded - decodedBefore[i]!));
  const keyFramesAfter = await encoderCounts(teacherPc);
  const keyFrames = Object.fromEntries([...keyFramesAfter].map(([rid, n]) => [rid, n - (keyFramesBefore.get(rid) ?? 0)]));
  const frames = Object.fromEntries([...(await encoderCounts(teacherPc, 'framesEncoded'))].map(([rid, n]) => [rid, n - (framesBefore.get(rid) ?? 0)]));
  const stormSeconds = round((performance.now() - t0) / 1000);
  const breakdown = joinBreakdown(marks);
  log(
    `real: join to first frame ${join.completed}/${nJoin} at ${join.ratePerSecond}/s, p50 ${join.p50Ms} ms, p95 ${join.p95Ms} ms; ` +
      `steps end (p50/p95 ms): ${JOIN_MARKS.map((m) => `${m} ${breakdown[m]?.p50Ms ?? '–'}/${breakdown[m]?.p95Ms ?? '–'}`).join(', ')}; ` +
      `teacher's key frames per layer in those ${stormSeconds} s: ${JSON.stringify(keyFrames)} (of ${JSON.stringify(frames)} frames); ` +
      `host ${stormLoad.hostBusyPct ?? '–'}% busy, this process ${stormLoad.processCpuPct}% of a core, worker ${stormLoad.workerCpuPct}%, ` +
      `event loop late p50/p99/max ${stormLoad.eventLoopDelayP50Ms}/${stormLoad.eventLoopDelayP99Ms}/${stormLoad.eventLoopDelayMaxMs} ms; ` +
      `the real receivers decoded ${decodedDuringStorm.join(', ')} frames meanwhile`,
  );
  const loaded = background ? { classrooms: background.classrooms, ...(await background.since()) } : null;
  if (loaded) log(`real: meanwhile the worker ran at ${loaded.workerCpuPct}% CPU, bulk classrooms' sampled loss ${loaded.sampledLossPct ?? '–'}%`);

  const stats: RealReceiverStats[] = [];
  for (const r of receivers) {
    stats.push({ classroomId: r.classroomId, joinMs: round(r.joinMs), ...(await inboundStats(r)), latency: summarize(r.reader.latencies, r.reader.unreadable(), r.reader.widths) });
  }
  return {
    receivers: stats,
    latency: { layers: frameLatency, receiversWithAudio: withAudio },
    join: { ...join, breakdown, processes: nProcesses, stormLoad, receiversFramesDecoded: decodedDuringStorm, teacherKeyFrames: { seconds: stormSeconds, byLayer: keyFrames, framesByLayer: frames }, loneJoinKeyFrames: loneKeyFrames },
    background: loaded,
    publisherFramesSent: camera.framesSent(),
    publisherFps: round(camera.framesSent() / ((performance.now() - cameraStart) / 1000)),
    loadavg: loadavg(),
  };
}

type JoinOne = (order: StormJoin) => Promise<{ joinMs: number; marks: JoinMarks }>;

/**
 * How the storm's joins run: in `processes` storm processes, each first warmed by one join of
 * its own followed by a quiet spell (so the warm-ups' key frames are not the storm's), or here.
 */
async function stormJoiner(
  processes: number,
  log: (line: string) => void,
  warmUp: (k: number) => Promise<{ token: string; classroomId: string }>,
  url: string,
): Promise<JoinOne> {
  if (processes === 0) {
    const joining: Joined[] = [];
    onCleanup('joining classrooms', () => joining.forEach(closeJoined));
    return (order) => stormJoin(order, (x) => joining.push(x));
  }
  const pool = await startStormPool(processes, 300);
  const warm = await Promise.all(
    Array.from({ length: processes }, async (_, k) => (await pool.join({ url, ...(await warmUp(k)), atEpochMs: Date.now() + k * 300 })).joinMs),
  );
  log(`real: ${processes} storm processes warmed by one join each (${warm.map((ms) => round(ms)).join(', ')} ms)`);
  await sleep(LONE_JOIN_QUIET_MS);
  return (order) => pool.join(order);
}

/** CPU time (ms) every worker of the pool has used so far. */
async function workerCpuMs(pool: WorkerPool): Promise<number> {
  return (await pool.resourceUsage()).reduce((t, w) => t + w.cpuMs, 0);
}

/** One outbound-rtp counter (key frames or all frames encoded) per simulcast layer (rid) of the teacher's camera. */
async function encoderCounts(pc: RTCPeerConnection | undefined, stat: 'keyFramesEncoded' | 'framesEncoded' = 'keyFramesEncoded'): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!pc) return out;
  (await pc.getStats()).forEach((s: Record<string, unknown>) => {
    if (s.type === 'outbound-rtp' && s.kind === 'video' && typeof s.rid === 'string') out.set(s.rid, Number(s[stat] ?? 0));
  });
  return out;
}

function mergeWidths(maps: Map<number, number>[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of maps) for (const [w, n] of m) out.set(w, (out.get(w) ?? 0) + n);
  return out;
}
