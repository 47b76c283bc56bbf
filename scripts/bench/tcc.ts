/**
 * scripts/bench-tcc: what congestion control costs the worker per classroom, and what the
 * server's pacer trial (LIBWEBRTC_FIELD_TRIALS) saves of it.
 *
 * The headline fan-out ramp gives its bulk classrooms no congestion control. A browser
 * classroom always negotiates transport-cc: the worker then keeps a send-time history per
 * packet, runs libwebrtc's controller on a timer per transport, and digests the feedback the
 * browser sends every ~100 ms. The default configurations measure exactly that with plain-RTP
 * classrooms that answer with real feedback (tccFeedback.ts), against plain-RTP classrooms
 * without congestion control; the tcc-* ones negotiate it without feedback (the history then
 * holds 60 s of packets, dearer than in a lesson), as first measured.
 * Each is a bench-fanout ramp (no joins, no WebRTC phases), interleaved and repeated because
 * this VM's CPU figures move by several points between runs.
 * Shapes: `simulcast` (the teacher's layers, classrooms asking for the top, which they reach
 * as the estimate allows), `single` (one 720p layer: a SimpleConsumer ignores the estimate, so
 * every classroom gets the top layer's packet rate), `simulcast-low` (classrooms on the lowest).
 * Writes bench/results/NAME.{json,md} (NAME tcc by default). See README "Benchmarks".
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { median, parseFlagsWith, runIfMain, writeResults } from './cli.js';
import { machine, type Machine } from './system.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** One ramp of two steps takes about a minute; a hung one must not hold the cores. */
const RUN_TIMEOUT_MS = 5 * 60_000;

/** Each configuration and the one its overhead is measured against (same RTP protection). */
export const CONFIGS = {
  none: { args: ['--congestion-control', 'none'], baseline: 'none' },
  'tcc-mediasoup': { args: ['--congestion-control', 'transport-cc', '--field-trials', 'mediasoup'], baseline: 'none' },
  'tcc-tongke': { args: ['--congestion-control', 'transport-cc', '--field-trials', 'tongke'], baseline: 'none' },
  'plain-none': { args: ['--congestion-control', 'none', '--plain-rtp'], baseline: 'plain-none' },
  'fb-mediasoup': { args: ['--congestion-control', 'transport-cc-feedback', '--field-trials', 'mediasoup'], baseline: 'plain-none' },
  'fb-tongke': { args: ['--congestion-control', 'transport-cc-feedback', '--field-trials', 'tongke'], baseline: 'plain-none' },
} as const;
export type ConfigName = keyof typeof CONFIGS;
const CONFIG_NAMES = Object.keys(CONFIGS) as [ConfigName, ...ConfigName[]];

export const SHAPES = {
  single: ['--publisher', 'single'],
  simulcast: ['--publisher', 'simulcast', '--spatial-layer', '2'],
  'simulcast-low': ['--publisher', 'simulcast', '--spatial-layer', '0'],
} as const;
export type ShapeName = keyof typeof SHAPES;

const listOf = <T extends z.ZodTypeAny>(item: T) =>
  z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()))
    .pipe(z.array(item).min(1));

const flagsSchema = z
  .object({
    shapes: listOf(z.enum(Object.keys(SHAPES) as [ShapeName, ...ShapeName[]])).default('single'),
    configs: listOf(z.enum(CONFIG_NAMES)).default('plain-none,fb-mediasoup,fb-tongke'),
    name: z.string().regex(/^[a-z0-9-]+$/).default('tcc'),
    steps: listOf(z.coerce.number().int().min(1).max(1000)).default('100,200'),
    repeats: z.coerce.number().int().min(1).max(10).default(5),
    'hold-s': z.coerce.number().min(2).max(60).default(6),
    out: z.string().min(1).default('bench/results'),
    help: z.boolean().default(false),
  })
  .strict();
export type TccFlags = z.infer<typeof flagsSchema>;

export const USAGE = `usage: scripts/bench-tcc [flags]
  --shapes LIST   simulcast (the teacher's three layers, classrooms asking for the top), single (one 720p
                  layer: the top layer's packet rate whatever the estimate), simulcast-low (three layers,
                  classrooms on the lowest) (default single: with feedback, simulcast classrooms climb only as fast as this
                  process's timestamps let the estimate grow, so their packet rate is not the top layer's)
  --configs LIST  ${CONFIG_NAMES.join(', ')}
                  (default plain-none,fb-mediasoup,fb-tongke: plain RTP, without and with feedback)
  --name NAME     results go to NAME.{json,md} (default tcc)
  --steps LIST    classrooms per step of each ramp (default 100,200: below the CPU line even for the top layer with congestion control)
  --repeats N     ramps per configuration and shape, interleaved (default 5; medians reported)
  --hold-s N      seconds each step is measured (default 6)
  --out DIR       where tcc.{json,md} go (default bench/results)`;

export function parseTccFlags(argv: string[]): TccFlags {
  return parseFlagsWith(flagsSchema, argv, USAGE);
}

/** The part of a bench-fanout results file this reads. */
const RampFile = z.object({
  steps: z.array(
    z.object({
      classrooms: z.number().int(),
      workerCpuPct: z.number(),
      classroomPacketsPerS: z.number().nullable(),
      workerRssMB: z.number().nullable(),
      sampledLossPct: z.number().nullable(),
    }),
  ),
});
export type RampStep = z.infer<typeof RampFile>['steps'][number];

export interface Cell {
  shape: ShapeName;
  config: ConfigName;
  classrooms: number;
  /** Worker CPU % of one core, every run and the median. */
  cpuPct: number[];
  medianCpuPct: number;
  /** Median minus its baseline configuration's median (CONFIGS) at the same shape and step. */
  overheadPct: number | null;
  packetsPerS: number | null;
  workerRssMB: number | null;
  maxLossPct: number | null;
}

export interface TccResults {
  benchmark: 'tcc';
  date: string;
  machine: Machine;
  flags: TccFlags;
  cells: Cell[];
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** One bench-fanout ramp; its steps. */
async function ramp(shape: ShapeName, config: ConfigName, flags: TccFlags): Promise<RampStep[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tongke-tcc-'));
  try {
    const args = [
      ...SHAPES[shape],
      ...CONFIGS[config].args,
      ...['--steps', flags.steps.join(','), '--hold-s', String(flags['hold-s']), '--profile-s', '0'],
      ...['--join-classrooms', '0', '--real-receivers', '0', '--out', dir],
    ];
    await new Promise<void>((resolve, reject) => {
      const child = spawn(path.join(ROOT, 'scripts/bench-fanout'), args, { stdio: ['ignore', 'ignore', 'inherit'] });
      const timer = setTimeout(() => child.kill('SIGINT'), RUN_TIMEOUT_MS);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`bench-fanout ${args.join(' ')} exited ${code}`));
      });
    });
    const file = readdirSync(dir).find((f) => f.startsWith('fanout') && f.endsWith('.json'));
    if (!file) throw new Error('bench-fanout wrote no results');
    return RampFile.parse(JSON.parse(readFileSync(path.join(dir, file), 'utf8'))).steps;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs per (shape, config) → one cell per step, with the overhead against `none`. */
export function cells(runs: Map<string, RampStep[][]>, shapes: ShapeName[], steps: number[]): Cell[] {
  const out: Cell[] = [];
  for (const shape of shapes) {
    for (const classrooms of steps) {
      const row = (config: ConfigName) =>
        (runs.get(`${shape}/${config}`) ?? []).flatMap((r) => r.filter((s) => s.classrooms === classrooms));
      for (const config of CONFIG_NAMES) {
        const got = row(config);
        const baseline = row(CONFIGS[config].baseline);
        const baseMedian = baseline.length ? median(baseline.map((s) => s.workerCpuPct)) : null;
        if (!got.length) continue;
        const cpu = got.map((s) => s.workerCpuPct);
        const pps = got.flatMap((s) => (s.classroomPacketsPerS === null ? [] : [s.classroomPacketsPerS]));
        const rss = got.flatMap((s) => (s.workerRssMB === null ? [] : [s.workerRssMB]));
        const loss = got.flatMap((s) => (s.sampledLossPct === null ? [] : [s.sampledLossPct]));
        out.push({
          shape,
          config,
          classrooms,
          cpuPct: cpu,
          medianCpuPct: round1(median(cpu)),
          overheadPct: baseMedian === null ? null : round1(median(cpu) - baseMedian),
          packetsPerS: pps.length ? round1(median(pps)) : null,
          workerRssMB: rss.length ? round1(median(rss)) : null,
          maxLossPct: loss.length ? Math.max(...loss) : null,
        });
      }
    }
  }
  return out;
}

export function markdown(r: TccResults): string {
  const rows = r.cells.map(
    (c) =>
      `| ${c.shape} | ${c.classrooms} | ${c.config} | ${c.medianCpuPct} (${c.cpuPct.join(', ')}) | ${c.overheadPct ?? '–'} | ${c.packetsPerS ?? '–'} | ${c.workerRssMB ?? '–'} | ${c.maxLossPct ?? '–'} |`,
  );
  return [
    '# What congestion control costs the worker (bench-tcc)',
    '',
    `${r.date}, ${r.machine.cpuModel}, ${r.machine.cores} cores, kernel ${r.machine.kernel}. Each cell: ${r.flags.repeats} interleaved bench-fanout ramps, hold ${r.flags['hold-s']} s.`,
    'Configurations (SRTP unless named plain): none, no congestion control (the headline ramp); tcc-*: transport-cc negotiated but no',
    'feedback sent (the worker then keeps 60 s of sent packets per classroom, which a browser\'s feedback would erase within ~100 ms);',
    'plain-none: plain RTP, no congestion control; fb-*: plain RTP, every classroom answering with transport-cc feedback every 100 ms',
    'as a browser does. *-mediasoup: mediasoup\'s field trials; *-tongke: the server\'s (pacer woken every 25 ms).',
    '"Over baseline": against none for tcc-*, against plain-none for fb-*.',
    '',
    '| shape | classrooms | config | worker CPU % median (runs) | over baseline, points | packets/s to each | worker RSS MB | sampled loss % (max) |',
    '| --- | ---: | --- | --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
}

async function main(flags: TccFlags): Promise<void> {
  const runs = new Map<string, RampStep[][]>();
  // Interleaved: a noisy spell on the VM falls on every configuration alike.
  for (let i = 0; i < flags.repeats; i++) {
    for (const shape of flags.shapes) {
      for (const config of flags.configs) {
        process.stderr.write(`[bench-tcc] run ${i + 1}/${flags.repeats}: ${shape}, ${config}\n`);
        const key = `${shape}/${config}`;
        runs.set(key, [...(runs.get(key) ?? []), await ramp(shape, config, flags)]);
      }
    }
  }
  const results: TccResults = { benchmark: 'tcc', date: new Date().toISOString(), machine: machine(), flags, cells: cells(runs, flags.shapes, flags.steps) };
  process.stdout.write(writeResults(path.resolve(ROOT, flags.out), flags.name, results, markdown(results)));
}

runIfMain(import.meta.url, 'bench-tcc', USAGE, parseTccFlags, main);
