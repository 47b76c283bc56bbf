import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { round } from './system.js';

const run = promisify(execFile);

/**
 * Where the worker's CPU goes at a step, from `perf record` on its pid (Debian's
 * linux-perf; scripts/setup installs it). The one figure that matters for reading the
 * ramp: the share spent in the kernel's *receive* path (softirq → IP → UDP → socket),
 * which loopback charges to the sender and a real NIC would not.
 */
export interface WorkerProfile {
  seconds: number;
  /** As perf prints it ("8K"). */
  samples: string;
  /** % of the worker's samples in the kernel (sendmsg, and on loopback the receive path). */
  kernelPct: number;
  /** % in softirq receive processing (do_softirq → net_rx_action …): loopback's receive side. */
  loopbackReceivePct: number;
  /** % in SRTP: libsrtp plus OpenSSL's libcrypto. */
  srtpPct: number;
}

export async function perfAvailable(): Promise<boolean> {
  try {
    await run('perf', ['--version'], { timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

/** perf runs on the generator's core so the profiled core keeps its load. */
export async function profileWorker(pid: number, seconds: number, core: number): Promise<WorkerProfile | null> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tongke-perf-'));
  const data = path.join(dir, 'perf.data');
  try {
    await run('taskset', ['-c', String(core), 'perf', 'record', '-q', '-F', '499', '-g', '-p', String(pid), '-o', data, '--', 'sleep', String(seconds)], {
      timeout: (seconds + 30) * 1000,
    });
    const report = async (args: string[]) =>
      (await run('perf', ['report', '-i', data, '--stdio', '-g', 'none', ...args], { timeout: 60_000, maxBuffer: 64 * 2 ** 20 })).stdout;
    const self = selfLines(await report(['--no-children', '--sort', 'dso,symbol']));
    const children = childrenLines(await report(['--children', '--sort', 'symbol']));
    const sum = (keep: (l: SelfLine) => boolean) => round(self.filter(keep).reduce((t, l) => t + l.pct, 0));
    const childPct = (name: string) => Math.max(0, ...children.filter((l) => l.name === name).map((l) => l.pct));
    return {
      seconds,
      samples: self.length > 0 ? /# Samples: (\S+)/.exec(await report(['--no-children', '--sort', 'dso']))?.[1] ?? '?' : '0',
      kernelPct: sum((l) => l.dso === '[kernel.kallsyms]'),
      loopbackReceivePct: round(childPct('do_softirq.part.0') || childPct('__do_softirq') || childPct('net_rx_action')),
      srtpPct: sum((l) => /^libcrypto\.so/.test(l.dso) || l.symbol.startsWith('srtp_')),
    };
  } catch (err) {
    process.stderr.write(`[bench-fanout] perf profile failed: ${(err as Error).message.split('\n')[0]}\n`);
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface SelfLine {
  pct: number;
  dso: string;
  symbol: string;
}

/** `--no-children --sort dso,symbol` lines: "  1.61%  mediasoup-worker  [.] srtp_protect_mki". */
function selfLines(text: string): SelfLine[] {
  return text.split('\n').flatMap((line) => {
    const m = /^\s+([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(\S+)/.exec(line);
    return m ? [{ pct: Number(m[1]), dso: m[2]!, symbol: m[3]! }] : [];
  });
}

/** `--children --sort symbol` lines: "  16.42%   0.80%  [k] net_rx_action". */
function childrenLines(text: string): { pct: number; name: string }[] {
  return text.split('\n').flatMap((line) => {
    const m = /^\s+([\d.]+)%\s+[\d.]+%\s+\[[.k]\]\s+(\S+)/.exec(line);
    return m ? [{ pct: Number(m[1]), name: m[2]! }] : [];
  });
}
