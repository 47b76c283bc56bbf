import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILD_TIMEOUT_MS = 60_000;

const SOURCES = path.join(ROOT, 'scripts/bench');

/**
 * Builds one of the benchmarks' C programs (scripts/bench/NAME.c) into DIR (bench/tmp), unless
 * the binary there is newer than its source and the shared headers. gcc and the libraries come
 * from scripts/setup.
 */
export async function buildC(name: string, libs: string[] = [], dir = path.join(ROOT, 'bench/tmp')): Promise<string> {
  const source = path.join(SOURCES, `${name}.c`);
  const bin = path.join(dir, name);
  const inputs = [source, ...readdirSync(SOURCES).filter((f) => f.endsWith('.h')).map((f) => path.join(SOURCES, f))];
  if (existsSync(bin) && inputs.every((f) => statSync(bin).mtimeMs >= statSync(f).mtimeMs)) return bin;
  mkdirSync(dir, { recursive: true });
  await run('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', bin, source, ...libs], { timeout: BUILD_TIMEOUT_MS });
  return bin;
}
