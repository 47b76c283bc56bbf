import { percentile } from './results.js';

export interface LatencySummary {
  samples: number;
  unreadable: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Frame width → samples at it (which simulcast layer the receiver was on). */
  widths: Record<string, number>;
}

export function summarize(latencies: number[], unreadable: number, widths: Map<number, number>): LatencySummary {
  const s = [...latencies].sort((a, b) => a - b);
  return {
    samples: s.length,
    unreadable,
    p50Ms: percentile(s, 50),
    p95Ms: percentile(s, 95),
    p99Ms: percentile(s, 99),
    maxMs: s.length ? percentile(s, 100) : null,
    widths: Object.fromEntries(widths),
  };
}

/** Frames seen through two paths, compared frame by frame. */
export interface Paired {
  frames: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

/** Same stamp on both sides: a − b per frame. */
export function pairFrames(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): Paired {
  const diffs = [...a].flatMap(([stamp, ms]) => {
    const other = b.get(stamp);
    return other === undefined ? [] : [ms - other];
  });
  const s = summarize(diffs, 0, new Map());
  return { frames: s.samples, p50Ms: s.p50Ms, p99Ms: s.p99Ms };
}
