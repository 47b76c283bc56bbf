import type { Comparison, FrameLatency, PathFigures } from './frameLatency.js';
import type { RealPhaseResult } from './realReceivers.js';
import type { FanoutResults } from './results.js';
import { SLOW_HOST_FACTOR } from './hostProbe.js';
import type { StepResult } from './ramp.js';

const dash = (x: number | null | undefined) => (x === null || x === undefined ? '–' : String(x));

const COLUMNS: [string, (s: StepResult) => string][] = [
  ['classrooms', (s) => String(s.classrooms)],
  ['worker CPU % (held again: host slow)', (s) => `${s.workerCpuPct}${(s.setAside ?? []).map((x) => ` (${x.workerCpuPct} at ${dash(x.hostProbeUsPerOp)} µs)`).join('')}`],
  ['of which sys %', (s) => String(s.workerSysPct)],
  ['µs/packet out', (s) => dash(s.workerUsPerPacket)],
  ['host probe µs/op (worker in probe ops/packet)', (s) => `${dash(s.hostProbe?.usPerOp)} (${dash(s.workerProbeOpsPerPacket)})`],
  ['sampled loss %', (s) => dash(s.sampledLossPct)],
  ['ingress loss %', (s) => dash(s.ingressLossPct)],
  ['ingress kbit/s', (s) => String(s.ingressKbps)],
  ['per classroom kbit/s (pkt/s) [shed to layer]', (s) => `${dash(s.classroomKbps)} (${dash(s.classroomPacketsPerS)})${(s.layerCap ?? null) === null ? '' : ` [${s.layerCap}]`}`],
  ['perf: kernel / loopback rx / SRTP %', (s) => (s.profile ? `${s.profile.kernelPct} / ${s.profile.loopbackReceivePct} / ${s.profile.srtpPct}` : '–')],
  ['forwarding ms p50/p99/max', (s) => (s.forwarding ? `${dash(s.forwarding.p50Ms)}/${dash(s.forwarding.p99Ms)}/${dash(s.forwarding.maxMs)}` : '–')],
  ['score min/avg', (s) => `${dash(s.scoreMin)}/${dash(s.scoreAvg)}`],
  ['NACK/PLI', (s) => `${s.nackCount}/${s.pliCount}`],
  ['RSS node+worker MB (node live heap)', (s) => `${s.serverRssMB}+${dash(s.workerRssMB)} (${dash(s.nodeHeapMB)})`],
  ['UDP RcvbufErr/SndbufErr', (s) => `${s.udp.RcvbufErrors}/${s.udp.SndbufErrors}`],
  ['generator CPU %', (s) => String(s.generatorCpuPct)],
  ['loadavg 1m', (s) => String(s.loadavg[0])],
];

export function stepsTable(steps: StepResult[]): string {
  const head = `| ${COLUMNS.map(([h]) => h).join(' | ')} |`;
  const rule = `| ${COLUMNS.map(() => '---:').join(' | ')} |`;
  const rows = steps.map((s) => `| ${COLUMNS.map(([, f]) => f(s)).join(' | ')} |`);
  return [head, rule, ...rows].join('\n');
}

function background(p: Pick<RealPhaseResult, 'background'>): string {
  const b = p.background;
  if (!b) return 'The worker served only this phase (no bulk classrooms beside it).';
  return (
    `Under load: throughout this phase the same worker also forwarded the ramp's publisher to **${b.classrooms} bulk classrooms** ` +
    `(worker CPU ${b.workerCpuPct}% from the start of latency sampling to the end of the join storm, their sampled loss ${dash(b.sampledLossPct)}%; host probe on the worker's core ${dash(b.hostProbe?.usPerOp)} µs/op, range ${dash(b.hostProbe?.minUs)}–${dash(b.hostProbe?.maxUs)}).`
  );
}

type Phase = Pick<RealPhaseResult, 'receivers' | 'latency' | 'join' | 'background' | 'publisherFps' | 'loadavg'>;

/** The WebRTC phase's tables and lines; the same for the idle-worker run and the loaded one. */
function phaseMarkdown(p: Phase | null): string {
  if (!p) return 'not run';
  const lat = p.latency;
  const rj = p.join;
  const steps = Object.entries(rj.breakdown)
    .map(([step, t]) => `${step} ${dash(t?.p50Ms ?? null)}/${dash(t?.p95Ms ?? null)}`)
    .join(', ');
  const realJoin =
    `${rj.completed}/${rj.classrooms} WebRTC classrooms at ${rj.ratePerSecond}/s: p50 ${dash(rj.p50Ms)} ms, p95 ${dash(rj.p95Ms)} ms, max ${dash(rj.maxMs)} ms (${rj.failed} failed${rj.firstError ? `: ${rj.firstError}` : ''}). ${rj.measures}` +
    ` Each step ends, ms after the join started (p50/p95): ${steps}.` +
    ` The teacher's encoder made ${Object.entries(rj.teacherKeyFrames.byLayer).map(([rid, n]) => `${n} (${rid})`).join(', ')} key frames in the ${rj.teacherKeyFrames.seconds} s of the storm, of ${Object.entries(rj.teacherKeyFrames.framesByLayer).map(([rid, n]) => `${n} (${rid})`).join(', ')} frames (the camera gives 25 a second).` +
    ` Meanwhile the host was ${dash(rj.stormLoad.hostBusyPct)}% busy (all cores), the benchmark's process used ${rj.stormLoad.processCpuPct}% of a core with its event loop late by p99 ${rj.stormLoad.eventLoopDelayP99Ms} ms (max ${rj.stormLoad.eventLoopDelayMaxMs}), the worker ${rj.stormLoad.workerCpuPct}%; the real receivers decoded ${rj.receiversFramesDecoded.join(', ')} frames meanwhile.`;
  const path = (name: string, x: PathFigures) =>
    `${name} p50/p95/p99 ${dash(x.latency.p50Ms)}/${dash(x.latency.p95Ms)}/${dash(x.latency.p99Ms)} ms over ${x.latency.samples} frames ` +
    `(${x.latency.unreadable} unreadable, widths ${JSON.stringify(x.latency.widths)}; ${dash(x.kbps)} kbit/s, ${x.packetsLost} packets lost, ` +
    `sender's pacer ${dash(x.senderPacerMs)} ms, jitter buffer ${dash(x.jitterBufferMs)} ms)`;
  const side = (name: string, c: Comparison, aName: string) =>
    `${name} (host ${dash(c.host.hostBusyPct)}% busy, this process ${c.host.processCpuPct}% of a core): ${path(aName, c.a)}; ${path('direct wrtc-to-wrtc', c.b)}; ` +
    `**${aName} − direct p50 ${dash(c.addedP50Ms)} ms, p99 ${dash(c.addedP99Ms)} ms** (per frame p50 ${dash(c.paired.p50Ms)} ms, p99 ${dash(c.paired.p99Ms)} ms over ${c.paired.frames} frames).`;
  const layer = (l: FrameLatency) =>
    `**${l.layer.width} px** (${l.layer.maxKbps} kbit/s). ${side('SFU against direct', l.sfu, 'SFU (probe classroom)')} ` +
    `${side('Control right after, how far two identical paths differ here', l.control, 'a second direct connection')}`;
  const latency =
    lat.layers.map(layer).join('\n\n') +
    `\n\nReal receivers (video + audio, lip sync; sampled afterwards, while the teacher sends simulcast) p50/p99 ${dash(lat.receiversWithAudio.p50Ms)}/${dash(lat.receiversWithAudio.p99Ms)} ms.`;
  const rows = p.receivers.map(
    (x) =>
      `| ${x.classroomId} | ${dash(x.joinMs)} | ${x.framesDecoded} | ${x.packetsReceived} | ${x.packetsLost} | ${x.audioPacketsReceived} | ${x.audioPacketsLost} | ${dash(x.jitterBufferMs)} | ${dash(x.frameWidth)} | ${dash(x.latency.p50Ms)}/${dash(x.latency.p99Ms)} |`,
  );
  const table = [
    '| classroom | first frame ms | framesDecoded | video packets | video packetsLost | audio packets | audio packetsLost | jitter buffer ms | width | latency p50/p99 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
  return `loadavg ${p.loadavg.join(' ')}, synthetic camera ${p.publisherFps} fps (target 25). ${background(p)}

${table}

Join to first frame: ${realJoin}

Latency: ${latency}`;
}

function underLoadLine(r: FanoutResults): string {
  const u = r.realUnderLoad;
  if (!u?.background) return 'WebRTC phase beside bulk classrooms: not run';
  const b = u.background;
  return (
    `**beside ${b.classrooms} bulk classrooms** on the same worker (its CPU ${b.workerCpuPct}%, their sampled loss ${dash(b.sampledLossPct)}%, host probe ${dash(b.hostProbe?.usPerOp)} µs/op): ` +
    `join p95 ${dash(u.join.p95Ms)} ms (${u.join.completed}/${u.join.classrooms}), added latency p99 ${dash(u.latency.layers[0]?.addedP99Ms ?? null)} ms / p50 ${dash(u.latency.layers[0]?.addedP50Ms ?? null)} ms; ` +
    `the generator, confined to one core, is starved: its direct baseline p50 ${dash(u.latency.layers[0]?.sfu.b.latency.p50Ms ?? null)} ms against ${dash(r.latency?.layers[0]?.sfu.b.latency.p50Ms ?? null)} ms on both cores, camera ${u.publisherFps} fps`
  );
}

function hostSpeedLine(r: FanoutResults): string {
  const h = r.hostSpeed;
  if (!h) return 'host speed: not probed';
  const p = h.probeUsPerOp;
  return (
    `**host speed** (probe on the worker's core, µs per operation; less is faster): median ${p.median}, fastest step ${p.fastest}, slowest ${p.slowest}. ` +
    `At ${h.atClassrooms} classrooms a packet cost the worker ${h.workerProbeOpsPerPacket} probe operations: ` +
    h.projected.map((x) => `${x.classrooms} classrooms per core at ${x.probeUsPerOp} µs`).join(', ') +
    ` (linear projection); ${r.targets.classroomsPerCore} at the fastest speed need ≤ ${h.targetProbeOpsPerPacket} operations per packet. ` +
    `Holds set aside because the host was over ${SLOW_HOST_FACTOR}× slower than the run's fastest and measured again: ${h.holdsSetAside}`
  );
}

export function markdown(r: FanoutResults): string {
  const m = r.machine;
  const join = r.join
    ? `${r.join.completed}/${r.join.classrooms} classrooms at ${r.join.ratePerSecond}/s: p50 ${dash(r.join.p50Ms)} ms, p95 ${dash(r.join.p95Ms)} ms, max ${dash(r.join.maxMs)} ms (${r.join.failed} failed). ${r.join.measures}`
    : 'not run';
  const idle: Phase | null =
    r.realReceivers && r.latency && r.realJoin && r.realPhase
      ? { receivers: r.realReceivers, latency: r.latency, join: r.realJoin, background: r.realPhase.background, publisherFps: r.realPhase.publisherFps, loadavg: r.realPhase.loadavg }
      : null;
  const u = r.realUnderLoad;
  return `# Fan-out benchmark (\`scripts/bench-fanout\`)

${r.date} on ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, kernel ${m.kernel};
Node ${r.versions.node}, mediasoup ${r.versions.mediasoup}. Publisher: ${r.publisher.description}, measured ${dash(r.publisher.measuredKbps)} kbit/s at the worker.
Bulk classrooms: ${String(r.setup.receivers)}.

- **classrooms per core** (largest step with worker CPU ≤ ${r.targets.maxCpuPct}% and sampled loss < ${r.targets.maxLossPct}%): **${dash(r.classroomsPerCore)}** (loss ${dash(r.lossPct)}%; target ≥ ${r.targets.classroomsPerCore})
- **join p95**, socket connect → first decoded frame, WebRTC classrooms: ${dash(r.joinP95Ms)} ms (target < ${r.targets.joinP95Ms} ms; signalling only: ${dash(r.signallingJoinP95Ms)} ms)
- **memory per classroom**: ${dash(r.join?.memoryPerClassroomMB)} MB per classroom connected through the production server (Node live heap + worker RSS growth over the signalling join phase); ramp slope (worker RSS + Node live heap, bulk classrooms) ${dash(r.rampMemorySlopeMB)} MB (target < ${r.targets.rssPerClassroomMB} MB)
- **SFU forwarding latency**, packet level (the teacher's paced top-layer packet handed to the worker → a classroom's socket gets the copy), at ${dash(r.classroomsPerCore)} classrooms: p99 ${dash(r.forwardingLatencyP99Ms)} ms, p50 ${dash(r.forwardingLatencyP50Ms)} ms (target p99 < ${r.targets.addedLatencyP99Ms} ms); largest step within the CPU, loss and latency bars: **${dash(r.classroomsWithinLatencyTarget)}** classrooms
- **SFU-added latency**, frame level (SFU − direct wrtc-to-wrtc, one-way frame latency, idle worker): ${(r.addedLatencyByLayer ?? []).map((l) => `${l.widthPx} px p99 ${dash(l.addedP99Ms)} ms, p50 ${dash(l.addedP50Ms)} ms (control, two identical direct paths: p99 ${dash(l.controlP99Ms)}, p50 ${dash(l.controlP50Ms)} ms)`).join('; ') || '–'} (target p99 < ${r.targets.addedLatencyP99Ms} ms)
- ${underLoadLine(r)}
- ${hostSpeedLine(r)}
- ramp ended: ${r.stoppedBy}

${stepsTable(r.steps)}

Join, signalling only: ${join}

## WebRTC phase (mediasoup-client on @roamhq/wrtc), idle worker, generator on both cores

${phaseMarkdown(idle)}

${r.latency?.layers[0]?.measures ?? ''}

## WebRTC phase beside ${u?.background?.classrooms ?? '–'} bulk classrooms, generator confined to the other core

${phaseMarkdown(u)}

Not measured:
${Object.entries(r.notMeasured)
  .map(([k, v]) => `- ${k}: ${v}`)
  .join('\n')}

Notes:
${r.notes.map((n) => `- ${n}`).join('\n')}
`;
}
