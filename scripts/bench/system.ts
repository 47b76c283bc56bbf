import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The worker under test owns core 0; the load generator, ffmpeg and perf share core 1. */
export const WORKER_CORE = 0;
export const GENERATOR_CORE = 1;

/** Pins a process to one CPU core, so the worker under test never shares its core with us. */
export async function pinToCore(pid: number, core: number): Promise<void> {
  await run('taskset', ['-pc', String(core), String(pid)]);
}

/** Lets a process's threads run on every core again (threads created later inherit it). */
export async function unpin(pid: number): Promise<void> {
  await run('taskset', ['-apc', `0-${os.cpus().length - 1}`, String(pid)]);
}

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  os: string;
  /** The worker binary measured: its cache directory's key covers mediasoup's version, the libraries and our patches. */
  workerBin: string;
}

export function machine(): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  let distro = os.type();
  try {
    distro = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? distro;
  } catch {
    // not Linux-like: keep os.type()
  }
  return {
    cpuModel: model,
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: os.release(),
    os: distro,
    workerBin: process.env.MEDIASOUP_WORKER_BIN ?? 'unknown',
  };
}

export type UdpCounters = { InErrors: number; RcvbufErrors: number; SndbufErrors: number };

/** The kernel's host-wide UDP counters (every UDP socket, not only ours). */
export function udpCounters(): UdpCounters {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]?.split(/\s+/).slice(1) ?? [];
  const values = lines[1]?.split(/\s+/).slice(1).map(Number) ?? [];
  const get = (n: string) => values[names.indexOf(n)] ?? 0;
  return { InErrors: get('InErrors'), RcvbufErrors: get('RcvbufErrors'), SndbufErrors: get('SndbufErrors') };
}

export function udpDelta(a: UdpCounters, b: UdpCounters): UdpCounters {
  return { InErrors: b.InErrors - a.InErrors, RcvbufErrors: b.RcvbufErrors - a.RcvbufErrors, SndbufErrors: b.SndbufErrors - a.SndbufErrors };
}

/** Resident memory of another process (the mediasoup worker), in MB; null once it is gone. */
export function rssOfPidMB(pid: number): number | null {
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

export const loadavg = (): [number, number, number] => os.loadavg().map((x) => round(x, 2)) as [number, number, number];

export const round = (x: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Rejects with "<what> took longer than <ms> ms" if p has not settled by then. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]);
}
