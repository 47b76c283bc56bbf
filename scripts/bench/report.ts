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
  ['score min/avg', (s) => `${dash(s.scoreMin)}/${dash(s.scoreAvg)}`],
  ['NACK/PLI', (s) => `${s.nackCount}/${s.pliCount}`],
  ['RSS node+worker MB', (s) => `${s.serverRssMB}+${dash(s.workerRssMB)}`],
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

export function markdown(r: FanoutResults): string {
  const m = r.machine;
  const join = r.join
    ? `${r.join.completed}/${r.join.classrooms} classrooms at ${r.join.ratePerSecond}/s: p50 ${dash(r.join.p50Ms)} ms, p95 ${dash(r.join.p95Ms)} ms, max ${dash(r.join.maxMs)} ms (${r.join.failed} failed). ${r.join.measures}`
    : 'not run';
  return `# Fan-out benchmark (\`scripts/bench-fanout\`)

${r.date} on ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, kernel ${m.kernel};
Node ${r.versions.node}, mediasoup ${r.versions.mediasoup}. Publisher: ${r.publisher.description}, measured ${dash(r.publisher.measuredKbps)} kbit/s at the worker.

- **classrooms per core** (largest step with worker CPU ≤ ${r.targets.maxCpuPct}% and sampled loss < ${r.targets.maxLossPct}%): **${dash(r.classroomsPerCore)}** (loss ${dash(r.lossPct)}%; target ≥ ${r.targets.classroomsPerCore})
- **join p95**: ${dash(r.joinP95Ms)} ms (target < ${r.targets.joinP95Ms} ms connect → first frame; see below for what it covers)
- **memory per classroom** (RSS slope, Node + worker): ${dash(r.rssPerClassroomMB)} MB (target < ${r.targets.rssPerClassroomMB} MB)
- **SFU-added latency p99**: not measured (null)
- ramp ended: ${r.stoppedBy}

${stepsTable(r.steps)}

Join: ${join}

Notes:
${r.notes.map((n) => `- ${n}`).join('\n')}
`;
}
