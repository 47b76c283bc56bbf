/** What placement knows of one live worker. */
export interface PlacementCandidate {
  consumers: number;
  /** Its consumer budget (the smaller uplink budget if it receives a teacher's uplink). */
  budget: number;
  /** Producers every classroom receives that reach this worker over WebRTC. */
  uplinks: number;
  /** Smoothed share of its core in percent; null until it has been read twice. */
  cpuPct: number | null;
  busy: boolean;
}

/**
 * How full a worker is, 1 meaning at its limit: by consumers against its budget, or by CPU
 * against the busy line, whichever is nearer. CPU catches what counting cannot (a slow host,
 * costly classrooms); counting catches a join storm before the CPU readings catch up with it.
 */
export function fillOf(c: PlacementCandidate, busyPct: number): number {
  const byCount = c.consumers / c.budget;
  const byCpu = c.cpuPct === null || busyPct >= 100 ? 0 : c.cpuPct / busyPct;
  return Math.max(byCount, byCpu);
}

/**
 * Index of the worker a new classroom goes to: among those neither over budget nor busy (or all,
 * if none is), the least full; on a tie one that receives no uplink, to keep that worker lighter.
 * `crowded` says no worker had room, so the caller can warn.
 */
export function choosePlacement(candidates: PlacementCandidate[], busyPct: number): { index: number; crowded: boolean } {
  if (candidates.length === 0) throw new Error('no worker to place on');
  const roomy = candidates.map((c, i) => ({ c, i })).filter(({ c }) => c.consumers < c.budget && !c.busy);
  const pool = roomy.length > 0 ? roomy : candidates.map((c, i) => ({ c, i }));
  let best = pool[0]!;
  for (const next of pool.slice(1)) {
    const d = fillOf(next.c, busyPct) - fillOf(best.c, busyPct);
    if (d < 0 || (d === 0 && next.c.uplinks === 0 && best.c.uplinks > 0)) best = next;
  }
  return { index: best.i, crowded: roomy.length === 0 };
}
