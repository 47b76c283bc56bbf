import type { types } from 'mediasoup';
import type { PooledWorker, WorkerPool } from '../../server/media/workerPool.js';
import { onCleanup } from './cleanup.js';
import { HostProbe, SLOW_HOST_FACTOR, type ProbeWindow } from './hostProbe.js';
import { perfAvailable, profileWorker, type WorkerProfile } from './profile.js';
import type { Flags } from './flags.js';
import { ingressCounters, type IngressCounters, type Publisher } from './publisher.js';
import { applyLayerCap, bulkTarget, closeBulkTarget, growTo, removeClassroom, sampledGaps, type BulkClassroom } from './receivers.js';
import type { ForwardingSummary } from './forwardingLatency.js';
import { lossPctBetween, type GapTotals } from './seqGaps.js';
import { GENERATOR_CORE, WORKER_CORE, loadavg, round, rssOfPidMB, sleep, udpCounters, udpDelta, type UdpCounters } from './system.js';

export interface StepResult {
  classrooms: number;
  consumers: number;
  /** Worker user+system CPU over the hold, in % of one core. */
  workerCpuPct: number;
  /**
   * The system part of it: on loopback the kernel delivers each datagram to the receiving
   * socket in the sender's context, so receive-side kernel work lands here too.
   */
  workerSysPct: number;
  /** Worker CPU per packet sent to classrooms (packets one classroom is sent × classrooms), in µs. */
  workerUsPerPacket: number | null;
  /** This process (load generator + mediasoup's Node side), in % of one core. */
  generatorCpuPct: number;
  serverRssMB: number;
  /**
   * Node's live heap after a full GC (bench-fanout runs node --expose-gc): the mediasoup
   * objects per classroom, without RSS's garbage and allocator slack. Includes the bench's own
   * per-classroom objects, so it over-counts a little.
   */
  nodeHeapMB: number | null;
  workerRssMB: number | null;
  scoreMin: number | null;
  scoreAvg: number | null;
  producerScoreMin: number | null;
  /** Over the sampled consumers, during the hold. */
  nackCount: number;
  pliCount: number;
  sampledLossPct: number | null;
  sampledPackets: number;
  ingressKbps: number;
  /** What one classroom is sent (its video layer + audio), from the sampled consumers' counters. */
  classroomKbps: number;
  classroomPacketsPerS: number;
  ingressLossPct: number | null;
  /** Host-wide kernel UDP counters over the hold (RcvbufErrors grows by design: bulk sockets are unread). */
  udp: UdpCounters;
  setupMs: number;
  holdMs: number;
  /**
   * Publisher → worker → a reading classrooms' socket, per top-layer video packet, over the
   * hold (forwardingLatency.ts); null without latency readers or a simulcast publisher.
   */
  forwarding: ForwardingSummary | null;
  /** perf profile of the worker right after the hold (--profile-s), or null. */
  profile: WorkerProfile | null;
  /** The host's speed on the worker's core over the hold (hostProbe.ts), or null without the probe. */
  hostProbe: ProbeWindow | null;
  /**
   * workerUsPerPacket in units of the probe's operation: what a packet costs the worker with
   * the host's speed switch divided out (not its cache and memory contention, which the probe
   * misses), so steps and runs from different hours compare more closely.
   */
  workerProbeOpsPerPacket: number | null;
  /** Holds of this step measured while the host was in its slow state and measured again (--slow-retries). */
  setAside: { workerCpuPct: number; workerUsPerPacket: number | null; sampledLossPct: number | null; hostProbeUsPerOp: number | null }[];
  loadavg: [number, number, number];
  /** --shed-pct: the worker's layer cap at the hold's end (1: 640 px, 0: 320 px); null: none. */
  layerCap: number | null;
}

export interface RampResult {
  steps: StepResult[];
  stoppedBy: string;
  /** Publisher bitrate measured at the worker's ingress over the first hold, kbit/s. */
  publisherKbps: number | null;
}

/** How many consumers' stats are read per step: enough for a min/avg, cheap for the worker. */
const STATS_SAMPLE = 20;

interface Snapshot {
  at: number;
  workerCpuMs: number;
  workerSysMs: number;
  generatorCpuMs: number;
  ingress: IngressCounters;
  udp: UdpCounters;
  gaps: GapTotals;
  feedback: ConsumerCounters;
}

export async function runRamp(
  flags: Flags,
  pool: WorkerPool,
  pooled: PooledWorker,
  router: types.Router,
  publisher: Publisher,
  log: (line: string) => void,
): Promise<RampResult> {
  const classrooms: BulkClassroom[] = [];
  onCleanup('bulk classrooms', () => classrooms.forEach(removeClassroom));
  const target = await bulkTarget(flags, { pool, pooled, router }, publisher);
  onCleanup('bulk classrooms\' far ends', () => closeBulkTarget(target));
  const onCap = (index: number, cap: number | null) => {
    if (index !== pooled.index) return;
    log(`worker at ${pool.loadReport().workers[0]?.cpuPct?.toFixed(1) ?? '?'}%: layer cap ${cap ?? 'lifted'}`);
    void applyLayerCap(target, classrooms, cap);
  };
  pool.on('layerCap', onCap);
  onCleanup('layer cap listener', () => {
    pool.off('layerCap', onCap);
  });
  if (target.tun) log(`bulk classrooms leave through tun device ${target.tun.name} (${target.tun.localIp} → ${target.tun.remoteIp}); the sampled ones read on loopback`);
  const steps: StepResult[] = [];
  let stoppedBy = 'all steps done';
  const profiling = flags['profile-s'] > 0 && (await perfAvailable());
  const probe = await HostProbe.start(WORKER_CORE);
  if (flags['profile-s'] > 0 && !profiling) log('perf is not installed (Debian linux-perf, scripts/setup): steps are not profiled');

  let fastestProbeUs = Infinity;
  for (const count of flags.steps) {
    const setupStart = Date.now();
    await growTo(target, classrooms, count, flags['sample-readers'], flags['latency-readers']);
    const setupMs = Date.now() - setupStart;
    await sleep(flags['settle-s'] * 1000);

    const sample = statsSample(classrooms);
    const hold = async (): Promise<StepResult> => {
      const a = await snapshot(pooled, publisher, classrooms, sample);
      publisher.forwarding?.take();
      const holdFrom = Date.now();
      await sleep(flags['hold-s'] * 1000);
      const hostProbe = probe ? probe.window(holdFrom, Date.now()) : null;
      const forwarding = flags['latency-readers'] > 0 ? (publisher.forwarding?.take() ?? null) : null;
      const b = await snapshot(pooled, publisher, classrooms, sample);
      const measured = await summarize(count, classrooms, sample, pooled, a, b, setupMs);
      return {
        ...measured,
        forwarding,
        hostProbe,
        workerProbeOpsPerPacket: probeOps(measured.workerUsPerPacket, hostProbe),
        layerCap: pool.layerCapOf(pooled.index),
      };
    };
    // A hold in the host's slow state is measured again (--slow-retries), so that one slow spell
    // does not decide where the ramp stops; what was set aside stays in the step's record.
    const attempts = [await hold()];
    for (;;) {
      const probeUs = attempts.at(-1)!.hostProbe?.usPerOp ?? null;
      if (probeUs !== null) fastestProbeUs = Math.min(fastestProbeUs, probeUs);
      if (!probe || probeUs === null || probeUs <= fastestProbeUs * SLOW_HOST_FACTOR || attempts.length > flags['slow-retries']) break;
      log(`${count} classrooms: the host was slow (probe ${probeUs} µs/op against ${fastestProbeUs}); waiting up to ${flags['slow-wait-s']} s for it to speed up`);
      if (!(await probe.waitUntilFast(fastestProbeUs, flags['slow-wait-s'] * 1000))) {
        log(`${count} classrooms: the host stayed slow; keeping what was measured`);
        break;
      }
      attempts.push(await hold());
    }
    const step = pickAttempt(attempts);
    // After the hold, so perf's own cost never enters the step's CPU figure.
    step.profile = profiling ? await profileWorker(pooled.worker.pid, flags['profile-s'], GENERATOR_CORE) : null;
    steps.push(step);
    log(stepLine(step));

    if (step.workerCpuPct >= flags['cpu-stop']) {
      stoppedBy = `worker CPU ${step.workerCpuPct}% ≥ ${flags['cpu-stop']}% at ${count} classrooms`;
      break;
    }
    if (step.sampledLossPct !== null && step.sampledLossPct > flags['loss-stop']) {
      stoppedBy = `sampled loss ${step.sampledLossPct}% > ${flags['loss-stop']}% at ${count} classrooms`;
      break;
    }
  }
  probe?.stop();
  const first = steps[0];
  return { steps, stoppedBy, publisherKbps: first ? first.ingressKbps : null };
}

/** The read classrooms' consumers first (they see real loss), then evenly spread others. */
function statsSample(classrooms: BulkClassroom[]): types.Consumer[] {
  const read = classrooms.filter((c) => c.tracker).flatMap((c) => c.consumers);
  const rest = classrooms.filter((c) => !c.tracker);
  const stride = Math.max(1, Math.floor(rest.length / Math.max(1, STATS_SAMPLE - read.length)));
  const spread = rest.filter((_, i) => i % stride === 0).flatMap((c) => c.consumers);
  return [...read, ...spread].slice(0, Math.max(STATS_SAMPLE, read.length));
}

interface ConsumerCounters {
  nack: number;
  pli: number;
  /** Per kind over the sample: packets and bytes sent, and how many consumers that is. */
  video: { packets: number; bytes: number; consumers: number };
  audio: { packets: number; bytes: number; consumers: number };
}

/** The sample's outbound counters: feedback received and what one classroom is sent, per kind. */
async function consumerCounters(sample: types.Consumer[]): Promise<ConsumerCounters> {
  const stats = await Promise.all(sample.map((c) => c.getStats()));
  const out: ConsumerCounters = { nack: 0, pli: 0, video: { packets: 0, bytes: 0, consumers: 0 }, audio: { packets: 0, bytes: 0, consumers: 0 } };
  for (const s of stats.flat()) {
    if (s.type !== 'outbound-rtp') continue;
    out.nack += s.nackCount;
    out.pli += s.pliCount;
    const k = s.kind === 'video' ? out.video : out.audio;
    k.packets += s.packetCount;
    k.bytes += s.byteCount;
    k.consumers += 1;
  }
  return out;
}

/** Mean packets (or bytes) one classroom was sent between two snapshots: one video + one audio consumer. */
function perClassroom(a: ConsumerCounters, b: ConsumerCounters, field: 'packets' | 'bytes'): number {
  const mean = (x: ConsumerCounters['video'], y: ConsumerCounters['video']) =>
    y.consumers > 0 && x.consumers === y.consumers ? (y[field] - x[field]) / y.consumers : 0;
  return mean(a.video, b.video) + mean(a.audio, b.audio);
}

async function snapshot(pooled: PooledWorker, publisher: Publisher, classrooms: BulkClassroom[], sample: types.Consumer[]): Promise<Snapshot> {
  const usage = await pooled.worker.getResourceUsage();
  const cpu = process.cpuUsage();
  const gaps = sampledGaps(classrooms);
  return {
    at: performance.now(),
    workerCpuMs: usage.ru_utime + usage.ru_stime,
    workerSysMs: usage.ru_stime,
    generatorCpuMs: (cpu.user + cpu.system) / 1000,
    ingress: await ingressCounters(publisher),
    udp: udpCounters(),
    gaps,
    feedback: await consumerCounters(sample),
  };
}

async function summarize(
  classrooms: number,
  all: BulkClassroom[],
  sample: types.Consumer[],
  pooled: PooledWorker,
  a: Snapshot,
  b: Snapshot,
  setupMs: number,
): Promise<StepResult> {
  const wallMs = b.at - a.at;
  const scores = sample.map((c) => c.score);
  const packets = b.ingress.packets - a.ingress.packets;
  const lost = b.ingress.lost - a.ingress.lost;
  // With simulcast each classroom gets one layer, so count what a classroom is sent, not ingress.
  const sent = perClassroom(a.feedback, b.feedback, 'packets') * classrooms;
  return {
    classrooms,
    consumers: all.reduce((n, c) => n + c.consumers.length, 0),
    workerCpuPct: round((100 * (b.workerCpuMs - a.workerCpuMs)) / wallMs),
    workerSysPct: round((100 * (b.workerSysMs - a.workerSysMs)) / wallMs),
    workerUsPerPacket: sent > 0 ? round((1000 * (b.workerCpuMs - a.workerCpuMs)) / sent, 2) : null,
    generatorCpuPct: round((100 * (b.generatorCpuMs - a.generatorCpuMs)) / wallMs),
    serverRssMB: round(process.memoryUsage().rss / 2 ** 20),
    nodeHeapMB: liveHeapMB(),
    workerRssMB: nullableRound(rssOfPidMB(pooled.worker.pid)),
    scoreMin: scores.length ? Math.min(...scores.map((s) => s.score)) : null,
    scoreAvg: scores.length ? round(scores.reduce((t, s) => t + s.score, 0) / scores.length, 2) : null,
    producerScoreMin: scores.length ? Math.min(...scores.map((s) => s.producerScore)) : null,
    nackCount: b.feedback.nack - a.feedback.nack,
    pliCount: b.feedback.pli - a.feedback.pli,
    sampledLossPct: nullableRound(lossPctBetween(a.gaps, b.gaps), 3),
    sampledPackets: b.gaps.received - a.gaps.received,
    ingressKbps: round(((b.ingress.bytes - a.ingress.bytes) * 8) / wallMs),
    classroomKbps: round((perClassroom(a.feedback, b.feedback, 'bytes') * 8) / wallMs),
    classroomPacketsPerS: round((perClassroom(a.feedback, b.feedback, 'packets') * 1000) / wallMs),
    ingressLossPct: packets + lost > 0 ? round((100 * lost) / (packets + lost), 3) : null,
    udp: udpDelta(a.udp, b.udp),
    setupMs,
    holdMs: Math.round(wallMs),
    forwarding: null,
    profile: null,
    hostProbe: null,
    workerProbeOpsPerPacket: null,
    setAside: [],
    loadavg: loadavg(),
    layerCap: null,
  };
}

/** The attempt with the fastest host; the others go into its setAside. */
export function pickAttempt(attempts: StepResult[]): StepResult {
  const speed = (s: StepResult) => s.hostProbe?.usPerOp ?? Infinity;
  const best = attempts.reduce((x, y) => (speed(y) < speed(x) ? y : x));
  const setAside = attempts
    .filter((x) => x !== best)
    .map((x) => ({ workerCpuPct: x.workerCpuPct, workerUsPerPacket: x.workerUsPerPacket, sampledLossPct: x.sampledLossPct, hostProbeUsPerOp: x.hostProbe?.usPerOp ?? null }));
  return { ...best, setAside };
}

export function probeOps(workerUsPerPacket: number | null, probe: ProbeWindow | null): number | null {
  return workerUsPerPacket !== null && probe?.usPerOp ? round(workerUsPerPacket / probe.usPerOp, 2) : null;
}

function liveHeapMB(): number | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return null;
  gc();
  return round(process.memoryUsage().heapUsed / 2 ** 20, 2);
}

const nullableRound = (x: number | null, digits = 1) => (x === null ? null : round(x, digits));

function stepLine(s: StepResult): string {
  return (
    `${String(s.classrooms).padStart(5)} classrooms: worker CPU ${s.workerCpuPct}% (sys ${s.workerSysPct}%), loss ${s.sampledLossPct ?? '–'}% ` +
    `(${s.sampledPackets} pkts read), ingress ${s.ingressKbps} kbit/s, per classroom ${s.classroomKbps} kbit/s ${s.classroomPacketsPerS} pkt/s, RSS ${s.serverRssMB}+${s.workerRssMB ?? '?'} MB, ` +
    `load ${s.loadavg.join(' ')}` +
    (s.forwarding ? `; forwarding p50/p99/max ${s.forwarding.p50Ms ?? '–'}/${s.forwarding.p99Ms ?? '–'}/${s.forwarding.maxMs ?? '–'} ms (${s.forwarding.packets} pkts)` : '') +
    (s.hostProbe?.usPerOp ? `; host probe ${s.hostProbe.usPerOp} µs/op, worker ${s.workerProbeOpsPerPacket ?? '–'} probe ops/packet` : '') +
    (s.layerCap !== null ? `; layer cap ${s.layerCap}` : '') +
    (s.setAside.length > 0 ? `; set aside (host slow): ${s.setAside.map((x) => `${x.workerCpuPct}% at ${x.hostProbeUsPerOp ?? '–'} µs/op`).join(', ')}` : '') +
    (s.profile ? `; perf: kernel ${s.profile.kernelPct}%, loopback receive ${s.profile.loopbackReceivePct}%, SRTP ${s.profile.srtpPct}%` : '')
  );
}
