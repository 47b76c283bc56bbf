/** What every bench-* command shares: flags through zod, --help, exit codes, results files. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';

/**
 * Parses argv with node's parser, then zod; a bad flag throws with every reason and the usage.
 * The parser's options come from the schema's keys: every flag takes a value except `booleans`
 * (and --help, also -h), so a flag is declared once, in the schema.
 */
export function parseFlagsWith<S extends z.AnyZodObject>(
  schema: S,
  argv: string[],
  usage: string,
  booleans: string[] = [],
  /** Flags that are each valid but not together: the complaint, or null. */
  clash: (flags: z.infer<S>) => string | null = () => null,
): z.infer<S> {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const key of Object.keys(schema.shape)) {
    if (key !== 'help') options[key] = { type: booleans.includes(key) ? 'boolean' : 'string' };
  }
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: argv, strict: true, options }).values;
  } catch (err) {
    throw new Error(`${(err as Error).message}\n\n${usage}`);
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    throw new Error(`${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n')}\n\n${usage}`);
  }
  const complaint = clash(parsed.data);
  if (complaint) throw new Error(`${complaint}\n\n${usage}`);
  return parsed.data;
}

/** A flag holding a comma-separated list of integers, each within [min, max], at least one. */
export function intListFlag(min: number, max: number) {
  return z
    .string()
    .transform((s) => s.split(',').map((x) => Number(x.trim())))
    .pipe(z.array(z.number().int().min(min).max(max)).min(1));
}

/**
 * Runs `body` with the parsed flags when `moduleUrl` is the script node was started with:
 * exit 2 on bad flags, the usage on --help, exit 1 with the stack on failure.
 */
export function runIfMain<F extends { help: boolean }>(
  moduleUrl: string,
  name: string,
  usage: string,
  parse: (argv: string[]) => F,
  body: (flags: F) => Promise<void>,
): void {
  if (moduleUrl !== pathToFileURL(process.argv[1] ?? '').href) return;
  let flags: F;
  try {
    flags = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  if (flags.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  body(flags).catch((err: unknown) => {
    process.stderr.write(`[${name}] ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}

/** Writes NAME.json and NAME.md into dir; returns the markdown for the terminal. */
export function writeResults(dir: string, name: string, results: unknown, markdown: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(path.join(dir, `${name}.md`), markdown);
  return markdown;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
