/**
 * scripts/bench-tcc: what congestion control costs the worker per classroom, and what the
 * server's pacer trial (LIBWEBRTC_FIELD_TRIALS) saves of it.
 *
 * The headline fan-out ramp gives its bulk classrooms no congestion control: without the
 * feedback a browser sends, the worker's estimate would hold simulcast consumers on a low
 * layer. A browser classroom always negotiates transport-cc, and then the worker keeps a send
 * history per packet and runs libwebrtc's controller on a timer per transport. This runs
 * bench-fanout's ramp (no joins, no WebRTC phases) in three configurations, interleaved and
 * repeated because this VM's CPU figures move by several points between runs:
 * none; transport-cc with mediasoup's field trials; transport-cc with the server's.
 * Without that feedback the worker keeps every sent packet for 60 s (libwebrtc's send-time
 * history; a browser's feedback erases each within ~100 ms), which makes its per-packet work
 * dearer here than in a lesson, while the feedback's own processing is missing: the overhead
 * over `none` is a rough bound, and the difference between the two transport-cc rows (the
 * controller's timer) is what carries over to production.
 * Shapes: `single` (one 720p layer, so every classroom gets the top layer's packet rate; a
 * SimpleConsumer ignores the estimate) and `simulcast-low` (the teacher's three layers, consumers
 * on the lowest, where the estimate without feedback leaves them anyway).
 * Writes bench/results/tcc.{json,md}. See README "Benchmarks".
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { machine, type Machine } from './system.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** One ramp of two steps takes about a minute; a hung one must not hold the cores. */
const RUN_TIMEOUT_MS = 5 * 60_000;

export const CONFIGS = {
  none: ['--congestion-control', 'none'],
  'tcc-mediasoup': ['--congestion-control', 'transport-cc', '--field-trials', 'mediasoup'],
  'tcc-tongke': ['--congestion-control', 'transport-cc', '--field-trials', 'tongke'],
} as const;
export type ConfigName = keyof typeof CONFIGS;
const CONFIG_NAMES = Object.keys(CONFIGS) as ConfigName[];

export const SHAPES = {
  single: ['--publisher', 'single'],
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
    shapes: listOf(z.enum(Object.keys(SHAPES) as [ShapeName, ...ShapeName[]])).default('single,simulcast-low'),
    steps: listOf(z.coerce.number().int().min(1).max(1000)).default('100,200'),
    repeats: z.coerce.number().int().min(1).max(10).default(5),
    'hold-s': z.coerce.number().min(2).max(60).default(6),
    out: z.string().min(1).default('bench/results'),
    help: z.boolean().default(false),
  })
  .strict();
export type TccFlags = z.infer<typeof flagsSchema>;

export const USAGE = `usage: scripts/bench-tcc [flags]
  --shapes LIST   single (one 720p layer: the top layer's packet rate), simulcast-low (three layers,
                  consumers on the lowest) (default single,simulcast-low)
  --steps LIST    classrooms per step of each ramp (default 100,200: below the CPU line even for the top layer with congestion control)
  --repeats N     ramps per configuration and shape, interleaved (default 5; medians reported)
  --hold-s N      seconds each step is measured (default 6)
  --out DIR       where tcc.{json,md} go (default bench/results)`;

export function parseTccFlags(argv: string[]): TccFlags {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      shapes: { type: 'string' },
      steps: { type: 'string' },
      repeats: { type: 'string' },
      'hold-s': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const parsed = flagsSchema.safeParse(values);
  if (!parsed.success) {
    throw new Error(`${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n')}\n\n${USAGE}`);
  }
  return parsed.data;
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
  /** Median minus the `none` configuration's median at the same shape and step. */
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

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round1 = (x: number) => Math.round(x * 10) / 10;

/** One bench-fanout ramp; its steps. */
async function ramp(shape: ShapeName, config: ConfigName, flags: TccFlags): Promise<RampStep[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tongke-tcc-'));
  try {
    const args = [
      ...SHAPES[shape],
      ...CONFIGS[config],
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
      const baseline = row('none');
      const baseMedian = baseline.length ? median(baseline.map((s) => s.workerCpuPct)) : null;
      for (const config of CONFIG_NAMES) {
        const got = row(config);
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
    'none: classrooms without congestion control (the headline ramp); tcc-mediasoup: transport-cc, mediasoup\'s field trials;',
    'tcc-tongke: transport-cc, the server\'s (pacer woken every 25 ms). The feedback a browser would send is not simulated:',
    'without it the worker keeps 60 s of sent packets per classroom (a browser\'s feedback erases each within ~100 ms), so',
    '"over none" overstates the per-packet share and leaves out the feedback\'s own cost; tcc-mediasoup − tcc-tongke is the timer cost the trial saves.',
    '',
    '| shape | classrooms | config | worker CPU % median (runs) | over none, points | packets/s to each | worker RSS MB | sampled loss % (max) |',
    '| --- | ---: | --- | --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  let flags: TccFlags;
  try {
    flags = parseTccFlags(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const runs = new Map<string, RampStep[][]>();
  // Interleaved: a noisy spell on the VM falls on every configuration alike.
  for (let i = 0; i < flags.repeats; i++) {
    for (const shape of flags.shapes) {
      for (const config of CONFIG_NAMES) {
        process.stderr.write(`[bench-tcc] run ${i + 1}/${flags.repeats}: ${shape}, ${config}\n`);
        const key = `${shape}/${config}`;
        runs.set(key, [...(runs.get(key) ?? []), await ramp(shape, config, flags)]);
      }
    }
  }
  const results: TccResults = { benchmark: 'tcc', date: new Date().toISOString(), machine: machine(), flags, cells: cells(runs, flags.shapes, flags.steps) };
  const dir = path.resolve(ROOT, flags.out);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'tcc.json'), JSON.stringify(results, null, 2) + '\n');
  const md = markdown(results);
  writeFileSync(path.join(dir, 'tcc.md'), md);
  process.stdout.write(md);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`[bench-tcc] ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
