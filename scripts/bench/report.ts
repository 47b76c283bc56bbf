import type { FanoutResults } from './results.js';
import type { StepResult } from './ramp.js';

const dash = (x: number | null | undefined) => (x === null || x === undefined ? '–' : String(x));

const COLUMNS: [string, (s: StepResult) => string][] = [
  ['classrooms', (s) => String(s.classrooms)],
  ['worker CPU %', (s) => String(s.workerCpuPct)],
  ['of which sys %', (s) => String(s.workerSysPct)],
  ['µs/packet out', (s) => dash(s.workerUsPerPacket)],
  ['sampled loss %', (s) => dash(s.sampledLossPct)],
  ['ingress loss %', (s) => dash(s.ingressLossPct)],
  ['ingress kbit/s', (s) => String(s.ingressKbps)],
  ['per classroom kbit/s (pkt/s)', (s) => `${dash(s.classroomKbps)} (${dash(s.classroomPacketsPerS)})`],
  ['perf: kernel / loopback rx / SRTP %', (s) => (s.profile ? `${s.profile.kernelPct} / ${s.profile.loopbackReceivePct} / ${s.profile.srtpPct}` : '–')],
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

function background(r: FanoutResults): string {
  const b = r.realPhase?.background;
  if (!b) return 'The worker served only this phase (no bulk classrooms beside it).';
  return (
    `Under load: throughout this phase the same worker also forwarded the ramp's publisher to **${b.classrooms} bulk classrooms** ` +
    `(worker CPU ${b.workerCpuPct}% from the start of latency sampling to the end of the join storm, their sampled loss ${dash(b.sampledLossPct)}%).`
  );
}

export function markdown(r: FanoutResults): string {
  const m = r.machine;
  const join = r.join
    ? `${r.join.completed}/${r.join.classrooms} classrooms at ${r.join.ratePerSecond}/s: p50 ${dash(r.join.p50Ms)} ms, p95 ${dash(r.join.p95Ms)} ms, max ${dash(r.join.maxMs)} ms (${r.join.failed} failed). ${r.join.measures}`
    : 'not run';
  const lat = r.latency;
  const rj = r.realJoin;
  const realJoin = rj
    ? `${rj.completed}/${rj.classrooms} WebRTC classrooms at ${rj.ratePerSecond}/s: p50 ${dash(rj.p50Ms)} ms, p95 ${dash(rj.p95Ms)} ms, max ${dash(rj.maxMs)} ms (${rj.failed} failed${rj.firstError ? `: ${rj.firstError}` : ''}). ${rj.measures}`
    : 'not run';
  const latency = lat
    ? `SFU (probe classroom, single-layer 720p copy of the camera) p50/p95/p99 ${dash(lat.sfu.p50Ms)}/${dash(lat.sfu.p95Ms)}/${dash(lat.sfu.p99Ms)} ms over ${lat.sfu.samples} frames ` +
      `(${lat.sfu.unreadable} unreadable, widths ${JSON.stringify(lat.sfu.widths)}, jitter buffer ${dash(lat.sfuInbound.jitterBufferMs)} ms); ` +
      `direct wrtc-to-wrtc p50/p95/p99 ${dash(lat.direct.p50Ms)}/${dash(lat.direct.p95Ms)}/${dash(lat.direct.p99Ms)} ms over ${lat.direct.samples} frames ` +
      `(jitter buffer ${dash(lat.directInbound.jitterBufferMs)} ms); added p50 ${dash(lat.addedP50Ms)} ms, p99 ${dash(lat.addedP99Ms)} ms. ` +
      `Paired per frame (SFU − direct, same frame): p50 ${dash(lat.pairedAdded.p50Ms)} ms, p99 ${dash(lat.pairedAdded.p99Ms)} ms over ${lat.pairedAdded.frames} frames. ` +
      `Mean sender pacer delay: teacher's send transport ${dash(lat.senderDelay.sfuMs)} ms, direct ${dash(lat.senderDelay.directMs)} ms. ` +
      `Real receivers (video + audio, lip sync) p50/p99 ${dash(lat.receiversWithAudio.p50Ms)}/${dash(lat.receiversWithAudio.p99Ms)} ms. ${lat.measures}`
    : 'not run';
  const realRows = (r.realReceivers ?? []).map(
    (x) =>
      `| ${x.classroomId} | ${dash(x.joinMs)} | ${x.framesDecoded} | ${x.packetsReceived} | ${x.packetsLost} | ${x.audioPacketsReceived} | ${x.audioPacketsLost} | ${dash(x.jitterBufferMs)} | ${dash(x.frameWidth)} | ${dash(x.latency.p50Ms)}/${dash(x.latency.p99Ms)} |`,
  );
  const realTable = realRows.length
    ? [
        '| classroom | first frame ms | framesDecoded | video packets | video packetsLost | audio packets | audio packetsLost | jitter buffer ms | width | latency p50/p99 ms |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...realRows,
      ].join('\n')
    : 'not run';
  return `# Fan-out benchmark (\`scripts/bench-fanout\`)

${r.date} on ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, kernel ${m.kernel};
Node ${r.versions.node}, mediasoup ${r.versions.mediasoup}. Publisher: ${r.publisher.description}, measured ${dash(r.publisher.measuredKbps)} kbit/s at the worker.
Bulk classrooms: ${String(r.setup.receivers)}.

- **classrooms per core** (largest step with worker CPU ≤ ${r.targets.maxCpuPct}% and sampled loss < ${r.targets.maxLossPct}%): **${dash(r.classroomsPerCore)}** (loss ${dash(r.lossPct)}%; target ≥ ${r.targets.classroomsPerCore})
- **join p95**, socket connect → first decoded frame, WebRTC classrooms: ${dash(r.joinP95Ms)} ms (target < ${r.targets.joinP95Ms} ms; signalling only: ${dash(r.signallingJoinP95Ms)} ms)
- **memory per classroom**: ${dash(r.join?.memoryPerClassroomMB)} MB per classroom connected through the production server (Node live heap + worker RSS growth over the signalling join phase); ramp slope (worker RSS + Node live heap, bulk classrooms) ${dash(r.rampMemorySlopeMB)} MB (target < ${r.targets.rssPerClassroomMB} MB)
- **SFU-added latency** (SFU − direct wrtc-to-wrtc, one-way frame latency): p99 ${dash(r.addedLatencyP99Ms)} ms, p50 ${dash(r.addedLatencyP50Ms)} ms (target p99 < ${r.targets.addedLatencyP99Ms} ms)
- ramp ended: ${r.stoppedBy}

${stepsTable(r.steps)}

Join, signalling only: ${join}

## WebRTC phase (mediasoup-client on @roamhq/wrtc)${r.realPhase ? `, loadavg ${r.realPhase.loadavg.join(' ')}, synthetic camera ${r.realPhase.publisherFps} fps (target 25)` : ''}

${background(r)}

${realTable}

Join to first frame: ${realJoin}

Latency: ${latency}

Not measured:
${Object.entries(r.notMeasured)
  .map(([k, v]) => `- ${k}: ${v}`)
  .join('\n')}

Notes:
${r.notes.map((n) => `- ${n}`).join('\n')}
`;
}
