/**
 * How busy the host and this process were over a phase: whether a slow join waited on the
 * host's cores (all of them busy) or on this process's one JavaScript thread (its event loop
 * late while cores sat idle). The two call for different remedies, so the results say which.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { round } from './system.js';

export interface HostLoad {
  seconds: number;
  /** Busy share of all the host's cores together, % (100 = every core busy). */
  hostBusyPct: number | null;
  /** This process's CPU (every thread: JavaScript, libwebrtc, libuv), % of one core. */
  processCpuPct: number;
  /** How late this process's event loop ran its callbacks. */
  eventLoopDelayP50Ms: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
}

interface CpuTimes {
  busy: number;
  total: number;
}

/** Host-wide jiffies from /proc/stat's first line; null where there is none. */
export function hostCpuTimes(stat = (): string => readFileSync('/proc/stat', 'utf8')): CpuTimes | null {
  let line: string | undefined;
  try {
    line = stat().split('\n').find((l) => l.startsWith('cpu '));
  } catch {
    return null;
  }
  if (!line) return null;
  // user nice system idle iowait irq softirq steal …: idle and iowait are the idle ones.
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (f.length < 4 || f.some((x) => !Number.isFinite(x))) return null;
  const total = f.reduce((a, b) => a + b, 0);
  const idle = f[3]! + (f[4] ?? 0);
  return { busy: total - idle, total };
}

export function busyPctBetween(a: CpuTimes | null, b: CpuTimes | null): number | null {
  if (!a || !b || b.total <= a.total) return null;
  return round((100 * (b.busy - a.busy)) / (b.total - a.total));
}

/** Starts measuring; `stop()` returns the figures since the start. */
export function startHostLoad(): { stop(): HostLoad } {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const host = hostCpuTimes();
  const cpu = process.cpuUsage();
  const start = performance.now();
  return {
    stop() {
      histogram.disable();
      const wallMs = performance.now() - start;
      const used = process.cpuUsage(cpu);
      const ms = (ns: number) => round(ns / 1e6);
      return {
        seconds: round(wallMs / 1000, 2),
        hostBusyPct: busyPctBetween(host, hostCpuTimes()),
        processCpuPct: round((100 * (used.user + used.system)) / 1000 / Math.max(1, wallMs)),
        eventLoopDelayP50Ms: ms(histogram.percentile(50)),
        eventLoopDelayP99Ms: ms(histogram.percentile(99)),
        eventLoopDelayMaxMs: ms(histogram.max),
      };
    },
  };
}
