import type { types } from 'mediasoup';
import type { PooledWorker, WorkerPool } from '../../server/media/workerPool.js';
import { onCleanup } from './cleanup.js';
import type { Flags } from './flags.js';
import { ingressCounters, type IngressCounters, type Publisher } from './publisher.js';
import { addClassroom, receiverCapabilities, removeClassroom, type BulkClassroom } from './receivers.js';
import { lossPctBetween, type GapTotals } from './seqGaps.js';
import { loadavg, round, rssOfPidMB, sleep, udpCounters, udpDelta, type UdpCounters } from './system.js';

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
  /** Worker CPU per packet sent to classrooms (ingress packets × classrooms), in µs. */
  workerUsPerPacket: number | null;
  /** This process (load generator + mediasoup's Node side), in % of one core. */
  generatorCpuPct: number;
  serverRssMB: number;
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
  ingressLossPct: number | null;
  /** Host-wide kernel UDP counters over the hold (RcvbufErrors grows by design: bulk sockets are unread). */
  udp: UdpCounters;
  setupMs: number;
  holdMs: number;
  loadavg: [number, number, number];
}

export interface RampResult {
  steps: StepResult[];
  stoppedBy: string;
  /** Publisher bitrate measured at the worker's ingress over the first hold, kbit/s. */
  publisherKbps: number | null;
}

/** How many consumers' stats are read per step: enough for a min/avg, cheap for the worker. */
const STATS_SAMPLE = 20;
/** Classrooms created at once: keeps the worker's request queue short while it forwards media. */
const CREATE_CONCURRENCY = 10;

interface Snapshot {
  at: number;
  workerCpuMs: number;
  workerSysMs: number;
  generatorCpuMs: number;
  ingress: IngressCounters;
  udp: UdpCounters;
  gaps: GapTotals;
  feedback: { nack: number; pli: number };
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
  const caps = receiverCapabilities(router);
  const producers = [publisher.video, publisher.audio];
  const steps: StepResult[] = [];
  let stoppedBy = 'all steps done';

  for (const target of flags.steps) {
    const setupStart = Date.now();
    while (classrooms.length < target) {
      const batch = Math.min(CREATE_CONCURRENCY, target - classrooms.length);
      const base = classrooms.length;
      const added = await Promise.all(
        Array.from({ length: batch }, (_, k) =>
          addClassroom(base + k, pool, pooled, router, producers, caps, base + k < flags['sample-readers']),
        ),
      );
      classrooms.push(...added);
    }
    const setupMs = Date.now() - setupStart;
    await sleep(flags['settle-s'] * 1000);

    const sample = statsSample(classrooms);
    const a = await snapshot(pooled, publisher, classrooms, sample);
    await sleep(flags['hold-s'] * 1000);
    const b = await snapshot(pooled, publisher, classrooms, sample);
    const step = await summarize(target, classrooms, sample, pooled, a, b, setupMs);
    steps.push(step);
    log(stepLine(step));

    if (step.workerCpuPct >= flags['cpu-stop']) {
      stoppedBy = `worker CPU ${step.workerCpuPct}% ≥ ${flags['cpu-stop']}% at ${target} classrooms`;
      break;
    }
    if (step.sampledLossPct !== null && step.sampledLossPct > flags['loss-stop']) {
      stoppedBy = `sampled loss ${step.sampledLossPct}% > ${flags['loss-stop']}% at ${target} classrooms`;
      break;
    }
  }
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

async function feedbackCounts(sample: types.Consumer[]): Promise<{ nack: number; pli: number }> {
  const stats = await Promise.all(sample.map((c) => c.getStats()));
  let nack = 0;
  let pli = 0;
  for (const s of stats.flat()) {
    if (s.type !== 'outbound-rtp') continue;
    nack += s.nackCount;
    pli += s.pliCount;
  }
  return { nack, pli };
}

async function snapshot(pooled: PooledWorker, publisher: Publisher, classrooms: BulkClassroom[], sample: types.Consumer[]): Promise<Snapshot> {
  const usage = await pooled.worker.getResourceUsage();
  const cpu = process.cpuUsage();
  const gaps = classrooms
    .filter((c) => c.tracker)
    .map((c) => c.tracker!.totals())
    .reduce((t, g) => ({ expected: t.expected + g.expected, received: t.received + g.received }), { expected: 0, received: 0 });
  return {
    at: performance.now(),
    workerCpuMs: usage.ru_utime + usage.ru_stime,
    workerSysMs: usage.ru_stime,
    generatorCpuMs: (cpu.user + cpu.system) / 1000,
    ingress: await ingressCounters(publisher),
    udp: udpCounters(),
    gaps,
    feedback: await feedbackCounts(sample),
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
  const sent = packets * classrooms;
  return {
    classrooms,
    consumers: all.reduce((n, c) => n + c.consumers.length, 0),
    workerCpuPct: round((100 * (b.workerCpuMs - a.workerCpuMs)) / wallMs),
    workerSysPct: round((100 * (b.workerSysMs - a.workerSysMs)) / wallMs),
    workerUsPerPacket: sent > 0 ? round((1000 * (b.workerCpuMs - a.workerCpuMs)) / sent, 2) : null,
    generatorCpuPct: round((100 * (b.generatorCpuMs - a.generatorCpuMs)) / wallMs),
    serverRssMB: round(process.memoryUsage().rss / 2 ** 20),
    workerRssMB: nullableRound(rssOfPidMB(pooled.worker.pid)),
    scoreMin: scores.length ? Math.min(...scores.map((s) => s.score)) : null,
    scoreAvg: scores.length ? round(scores.reduce((t, s) => t + s.score, 0) / scores.length, 2) : null,
    producerScoreMin: scores.length ? Math.min(...scores.map((s) => s.producerScore)) : null,
    nackCount: b.feedback.nack - a.feedback.nack,
    pliCount: b.feedback.pli - a.feedback.pli,
    sampledLossPct: nullableRound(lossPctBetween(a.gaps, b.gaps), 3),
    sampledPackets: b.gaps.received - a.gaps.received,
    ingressKbps: round(((b.ingress.bytes - a.ingress.bytes) * 8) / wallMs),
    ingressLossPct: packets + lost > 0 ? round((100 * lost) / (packets + lost), 3) : null,
    udp: udpDelta(a.udp, b.udp),
    setupMs,
    holdMs: Math.round(wallMs),
    loadavg: loadavg(),
  };
}

const nullableRound = (x: number | null, digits = 1) => (x === null ? null : round(x, digits));

function stepLine(s: StepResult): string {
  return (
    `${String(s.classrooms).padStart(5)} classrooms: worker CPU ${s.workerCpuPct}% (sys ${s.workerSysPct}%), loss ${s.sampledLossPct ?? '–'}% ` +
    `(${s.sampledPackets} pkts read), ingress ${s.ingressKbps} kbit/s, RSS ${s.serverRssMB}+${s.workerRssMB ?? '?'} MB, ` +
    `load ${s.loadavg.join(' ')}`
  );
}
