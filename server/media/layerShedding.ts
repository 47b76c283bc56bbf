/**
 * What a worker at its core's limit does with the classrooms already on it.
 *
 * Placement (placement.ts) only steers new classrooms away from a busy worker. With one core, or
 * every core busy, more classrooms keep coming, and once the worker's core is full every
 * classroom on it loses packets at once: frozen pictures and broken sound everywhere. Capping
 * the simulcast layer the worker's classrooms receive costs each of them sharpness instead: the
 * 640-px layer carries under half the top layer's packets (116 against 251 a second, sound
 * included), and at 400 classrooms the worker spent 35–40% of its core on it against 82–94% on
 * the top layer (bench-fanout --spatial-layer, README "Load shedding").
 *
 * The cap comes down a layer at a time while the worker stays at the shed line, each step judged
 * only after settleMs (the switch waits for a key frame; the smoothed CPU needs a few readings;
 * a saturated worker answers the switch requests late) and only while the CPU is not still
 * falling from the last one. A step comes off when even the most the layer above has ever cost
 * against this one (LIFT_GROWTH) would leave the worker under the line by the margin, and no
 * sooner than minHoldMs after the last move. A saving measured from the CPU before and after a
 * step was tried first and failed in the benchmark: taken at a saturated worker, or during a join
 * storm, the reading before shows only part of the demand, so the step came off at once and the
 * worker went straight back to its limit. Every switch up also costs the classrooms a key frame.
 */
export const SHED_TIMING = { settleMs: 8_000, minHoldMs: 30_000 };
export type ShedTiming = typeof SHED_TIMING;

/**
 * A shed step is lifted only when the worker would be this far under the shed line with the
 * layer above back (half the line at most).
 */
export const SHED_MARGIN_PCT = 10;

/**
 * Per cap, how many times the worker's cost grows at most when the layer above comes back: the
 * top layer cost 2.14–2.67× the 640-px one, and the 640-px layer 1.10–1.24× the 320-px one (400
 * classrooms, bench-fanout --spatial-layer: 2 runs each at the top and 640-px layers, 1 at 320 px;
 * bench/results/shedding/layer*), rounded up.
 */
export const LIFT_GROWTH: Record<number, number> = { 1: 2.8, 0: 1.3 };

/** A reading this much under the one before says the last step is still taking effect. */
const FALLING_PCT = 1;

/** The caps, in order: the 640-px layer, then the 320-px one (CAMERA_SIMULCAST, lowest first). */
const CAPS = [1, 0] as const;

export interface ShedReading {
  /** The worker's smoothed share of its core (workerLoad.ts); null right after start. */
  cpuPct: number | null;
  atMs: number;
}

/** One worker's shedding: feed it every CPU reading; it says when the layer cap changes. */
export class LayerShedding {
  /** Caps in force, deepest last. */
  private readonly steps: number[] = [];
  /** When the cap last moved either way: the next move waits for that one's effect. */
  private changedAt = -Infinity;
  private lastCpu: number | null = null;

  constructor(
    private readonly shedPct: number,
    private readonly timing: ShedTiming = SHED_TIMING,
  ) {}

  /** The highest spatial layer the worker's classrooms may receive now; null: no cap. */
  get cap(): number | null {
    return this.steps.at(-1) ?? null;
  }

  /** Returns true if the cap changed with this reading. */
  update({ cpuPct, atMs }: ShedReading): boolean {
    const before = this.lastCpu;
    this.lastCpu = cpuPct;
    if (cpuPct === null || this.shedPct >= 100 || atMs - this.changedAt < this.timing.settleMs) return false;
    const cap = this.cap;
    if (cpuPct >= this.shedPct) {
      const next = CAPS[this.steps.length];
      if (next === undefined || (before !== null && cpuPct < before - FALLING_PCT)) return false;
      this.steps.push(next);
      this.changedAt = atMs;
      return true;
    }
    const liftLine = this.shedPct - Math.min(SHED_MARGIN_PCT, this.shedPct / 2);
    if (cap !== null && atMs - this.changedAt >= this.timing.minHoldMs && cpuPct * (LIFT_GROWTH[cap] ?? 3) < liftLine) {
      this.steps.pop();
      this.changedAt = atMs;
      return true;
    }
    return false;
  }
}
