/**
 * scripts/bench-sendpath: what batching the worker's sends (sendmmsg) could buy, before anyone
 * patches the worker for it. The fan-out benchmark's profile puts about half the worker's CPU
 * per packet in the kernel, one sendto() per packet per classroom; this measures that kernel
 * cost on this host with sendto() and with sendmmsg() batches (sendpath.c, pinned to the
 * worker's core), and projects the fan-out ceiling from the committed fanout.json. Writes
 * bench/results/sendpath.{json,md}. See README "Benchmarks".
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';
import { buildC } from './cbuild.js';
import { intListFlag, median, parseFlagsWith, runIfMain, writeResults } from './cli.js';
import { TARGETS } from './results.js';
import { machine, WORKER_CORE, type Machine } from './system.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** One batch run must end; the whole matrix takes seconds. */
const RUN_TIMEOUT_MS = 60_000;

const batchesSchema = intListFlag(1, 1024).refine((a) => a[0] === 1, 'the first batch must be 1 (one sendto per packet, as the worker sends today)');

const flagsSchema = z
  .object({
    classrooms: z.coerce.number().int().min(1).max(1000).default(325),
    batches: batchesSchema.default('1,8,32,64'),
    rounds: z.coerce.number().int().min(1).max(100_000).default(2000),
    repeats: z.coerce.number().int().min(1).max(50).default(7),
    fanout: z.string().min(1).default('bench/results/fanout.json'),
    out: z.string().min(1).default('bench/results'),
    help: z.boolean().default(false),
  })
  .strict();
export type SendpathFlags = z.infer<typeof flagsSchema>;

export const USAGE = `usage: scripts/bench-sendpath [flags]
  --classrooms N   receiving sockets, one packet to each per round (default 325, the committed capacity)
  --batches LIST   packets per syscall, the first 1 = sendto (default 1,8,32,64)
  --rounds N       rounds per run (default 2000)
  --repeats N      runs of every batch size, interleaved (default 7; medians reported)
  --fanout FILE    the fan-out results to project from (default bench/results/fanout.json)
  --out DIR        where sendpath.{json,md} go (default bench/results)`;

export function parseSendpathFlags(argv: string[]): SendpathFlags {
  return parseFlagsWith(flagsSchema, argv, USAGE);
}

/** What sendpath.c prints for one run. */
const RunLine = z.object({
  classrooms: z.number().int(),
  batch: z.number().int(),
  rounds: z.number().int(),
  sent: z.number().int(),
  failed: z.number().int(),
  cpuS: z.number().nonnegative(),
  wallS: z.number().nonnegative(),
});
export type RunLine = z.infer<typeof RunLine>;

/** The committed fan-out figures the projection starts from: the capacity step's cost per packet. */
const FanoutFigures = z.object({
  date: z.string(),
  classroomsPerCore: z.number().int().positive(),
  steps: z.array(z.object({ classrooms: z.number(), workerUsPerPacket: z.number().positive(), classroomPacketsPerS: z.number().positive() })),
});

export interface BatchFigures {
  batch: number;
  /** Kernel + syscall CPU per packet sent, µs: median and range over the repeats. */
  usPerPacket: number;
  usPerPacketMin: number;
  usPerPacketMax: number;
  failed: number;
}

export interface Projection {
  from: string;
  classroomsPerCore: number;
  workerUsPerPacket: number;
  classroomPacketsPerS: number;
  /** Classrooms at the CPU line if the worker's cost per packet were linear in classrooms. */
  linearCeiling: number;
  /** The same, with each packet's send cheaper by the best batch's saving. */
  batchedUsPerPacket: number;
  batchedLinearCeiling: number;
  /** The bound no batching passes: the worker's cost with the measured send cost taken away altogether. */
  freeSendUsPerPacket: number;
  freeSendLinearCeiling: number;
  /** The worker cost per packet that the target (classrooms at the CPU line) needs. */
  targetUsPerPacket: number;
}

export interface SendpathResults {
  benchmark: 'sendpath';
  date: string;
  machine: Machine;
  flags: SendpathFlags;
  batches: BatchFigures[];
  /** sendto's median minus the best batch's median, µs per packet. */
  savingUsPerPacket: number;
  bestBatch: number;
  projection: Projection | null;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Builds sendpath.c into bench/tmp when the binary is missing or older than its source. */
export const buildSendpath = (dir?: string): Promise<string> => buildC('sendpath', [], dir);

export async function runOnce(bin: string, classrooms: number, batch: number, rounds: number, core: number | null): Promise<RunLine> {
  const [cmd, args] = core === null ? [bin, []] : ['taskset', ['-c', String(core), bin]];
  const { stdout } = await run(cmd, [...args, String(classrooms), String(batch), String(rounds)], { timeout: RUN_TIMEOUT_MS });
  return RunLine.parse(JSON.parse(stdout.trim()));
}

export function summarise(batch: number, runs: RunLine[]): BatchFigures {
  const us = runs.map((r) => (r.cpuS * 1e6) / Math.max(1, r.sent));
  return {
    batch,
    usPerPacket: round2(median(us)),
    usPerPacketMin: round2(Math.min(...us)),
    usPerPacketMax: round2(Math.max(...us)),
    failed: runs.reduce((n, r) => n + r.failed, 0),
  };
}

export function project(fanoutJson: unknown, savingUs: number, sendUs: number, from: string): Projection | null {
  const parsed = FanoutFigures.safeParse(fanoutJson);
  if (!parsed.success) return null;
  const f = parsed.data;
  const step = f.steps.find((s) => s.classrooms === f.classroomsPerCore);
  if (!step) return null;
  const budgetUsPerS = (TARGETS.maxCpuPct / 100) * 1e6;
  const ceiling = (us: number) => Math.floor(budgetUsPerS / (step.classroomPacketsPerS * us));
  const batched = Math.max(0.01, step.workerUsPerPacket - savingUs);
  const freeSend = Math.max(0.01, step.workerUsPerPacket - sendUs);
  return {
    from: `${from} (${f.date})`,
    classroomsPerCore: f.classroomsPerCore,
    workerUsPerPacket: step.workerUsPerPacket,
    classroomPacketsPerS: step.classroomPacketsPerS,
    linearCeiling: ceiling(step.workerUsPerPacket),
    batchedUsPerPacket: round2(batched),
    batchedLinearCeiling: ceiling(batched),
    freeSendUsPerPacket: round2(freeSend),
    freeSendLinearCeiling: ceiling(freeSend),
    targetUsPerPacket: round2(budgetUsPerS / (step.classroomPacketsPerS * TARGETS.classroomsPerCore)),
  };
}

export function markdown(r: SendpathResults): string {
  const rows = r.batches.map(
    (b) => `| ${b.batch === 1 ? '1 (sendto)' : `${b.batch} (sendmmsg)`} | ${b.usPerPacket} | ${b.usPerPacketMin}–${b.usPerPacketMax} | ${b.failed} |`,
  );
  const p = r.projection;
  const projection = p
    ? [
        '',
        `Projection from ${p.from}: at ${p.classroomsPerCore} classrooms the worker spent ${p.workerUsPerPacket} µs per packet sent`,
        `(${p.classroomPacketsPerS} packets/s to each classroom). Linear in classrooms, ${TARGETS.maxCpuPct}% of a core carries ${p.linearCeiling};`,
        `with each send ${r.savingUsPerPacket} µs cheaper (batches of ${r.bestBatch}) ${p.batchedUsPerPacket} µs → ${p.batchedLinearCeiling}.`,
        `If sending cost nothing at all (${r.batches[0]!.usPerPacket} µs less): ${p.freeSendUsPerPacket} µs → ${p.freeSendLinearCeiling}.`,
        `${TARGETS.classroomsPerCore} classrooms need ${p.targetUsPerPacket} µs per packet.`,
      ]
    : ['', 'No projection: the fan-out results file was missing or unreadable.'];
  return [
    `# Send path: kernel CPU per packet, ${r.flags.classrooms} unread loopback classrooms, 1200-byte packets`,
    '',
    `${r.date}, ${r.machine.cpuModel}, ${r.machine.cores} cores, kernel ${r.machine.kernel}; pinned to core ${WORKER_CORE}; ${r.flags.repeats} runs of ${r.flags.rounds} rounds each, interleaved.`,
    '',
    '| packets per syscall | µs per packet (median) | range | failed sends |',
    '| --- | --- | --- | --- |',
    ...rows,
    ...projection,
    '',
  ].join('\n');
}

async function main(flags: SendpathFlags): Promise<void> {
  const bin = await buildSendpath();
  const runs = new Map<number, RunLine[]>(flags.batches.map((b) => [b, []]));
  // Interleaved, so a noisy neighbour on the VM spreads over every batch size alike.
  for (let i = 0; i < flags.repeats; i++) {
    for (const b of flags.batches) runs.get(b)!.push(await runOnce(bin, flags.classrooms, b, flags.rounds, WORKER_CORE));
  }
  const batches = flags.batches.map((b) => summarise(b, runs.get(b)!));
  const best = batches.reduce((a, b) => (b.usPerPacket < a.usPerPacket ? b : a));
  const saving = round2(batches[0]!.usPerPacket - best.usPerPacket);
  const fanoutPath = path.resolve(ROOT, flags.fanout);
  const fanoutJson = existsSync(fanoutPath) ? (JSON.parse(readFileSync(fanoutPath, 'utf8')) as unknown) : null;
  const results: SendpathResults = {
    benchmark: 'sendpath',
    date: new Date().toISOString(),
    machine: machine(),
    flags,
    batches,
    savingUsPerPacket: saving,
    bestBatch: best.batch,
    projection: project(fanoutJson, saving, batches[0]!.usPerPacket, path.relative(ROOT, fanoutPath)),
  };
  process.stdout.write(writeResults(path.resolve(ROOT, flags.out), 'sendpath', results, markdown(results)));
}

runIfMain(import.meta.url, 'bench-sendpath', USAGE, parseSendpathFlags, main);
