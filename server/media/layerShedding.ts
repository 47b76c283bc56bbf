/**
 * What a worker at its core's limit does with the classrooms already on it.
 *
 * Placement (placement.ts) only steers new classrooms away from a busy worker. With one core, or
 * every core busy, more classrooms keep coming, and once the worker's core is full every
 * classroom on it loses packets at once: frozen pictures and broken sound everywhere. Capping
 * the simulcast layer the worker's classrooms receive costs each of them sharpness instead: the
 * 640-px layer carries about a third of the top layer's packets (bench-fanout --spatial-layer,
 * README "Load shedding"), and the worker's cost follows its packets.
 *
 * The cap comes down one layer at a time while the worker stays at the shed line, each step
 * judged only after settleMs (the switch waits for a key frame; the smoothed CPU needs a few
 * readings). How much a step saved is measured, per consumer, and the step is lifted only once
 * the worker would be under the line by the margin with that load back, and no sooner than
 * minHoldMs after the last move: lifting on a guess would bring the worker straight back to its limit,
 * and every switch up costs the classrooms a key frame.
 */
export const SHED_TIMING = { settleMs: 5_000, minHoldMs: 30_000 };
export type ShedTiming = typeof SHED_TIMING;

/**
 * A shed step is lifted only when the worker would be this far under the shed line with its load
 * back (half the line at most).
 */
export const SHED_MARGIN_PCT = 10;

/**
 * Lifting a step multiplies the worker's cost at most this much, however much the step seemed to
 * save: the top layer cost 2.1–2.9× the 640-px and 320-px ones (400 classrooms, bench-fanout
 * --spatial-layer 0/1/2). A saving read off a noisy CPU figure can look larger than the whole
 * load left once the teacher's stream stops or a lesson ends: without the bound such a cap would
 * stay on an idle worker.
 */
export const LIFT_GROWTH_MAX = 3;

/** The caps, in order: the 640-px layer, then the 320-px one (CAMERA_SIMULCAST, lowest first). */
const CAPS = [1, 0] as const;

interface Step {
  cap: number;
  cpuBefore: number;
  consumersBefore: number;
  /** CPU (percent of the core) the step saved per consumer, once it has settled; null before. */
  savedPerConsumer: number | null;
}

export interface ShedReading {
  /** The worker's smoothed share of its core (workerLoad.ts); null right after start. */
  cpuPct: number | null;
  consumers: number;
  atMs: number;
}

/** One worker's shedding: feed it every CPU reading; it says when the layer cap changes. */
export class LayerShedding {
  private readonly steps: Step[] = [];
  /** When the cap last moved either way: the next move waits for that one's effect. */
  private changedAt = -Infinity;

  constructor(
    private readonly shedPct: number,
    private readonly timing: ShedTiming = SHED_TIMING,
  ) {}

  /** The highest spatial layer the worker's classrooms may receive now; null: no cap. */
  get cap(): number | null {
    return this.steps.at(-1)?.cap ?? null;
  }

  /** Returns true if the cap changed with this reading. */
  update({ cpuPct, consumers, atMs }: ShedReading): boolean {
    if (cpuPct === null || this.shedPct >= 100) return false;
    if (atMs - this.changedAt < this.timing.settleMs) return false;
    const last = this.steps.at(-1);
    if (last && last.savedPerConsumer === null) {
      // What the worker would use now without the step, had its cost followed its consumers.
      const without = consumers > 0 && last.consumersBefore > 0 ? (last.cpuBefore * consumers) / last.consumersBefore : 0;
      last.savedPerConsumer = consumers > 0 ? Math.max(0, without - cpuPct) / consumers : 0;
    }
    if (cpuPct >= this.shedPct) {
      const next = CAPS[this.steps.length];
      if (next === undefined) return false;
      this.steps.push({ cap: next, cpuBefore: cpuPct, consumersBefore: consumers, savedPerConsumer: null });
      this.changedAt = atMs;
      return true;
    }
    if (last && atMs - this.changedAt >= this.timing.minHoldMs && this.projected(cpuPct, last, consumers) < this.shedPct - Math.min(SHED_MARGIN_PCT, this.shedPct / 2)) {
      this.steps.pop();
      this.changedAt = atMs;
      return true;
    }
    return false;
  }

  /** The worker's CPU were the step lifted now. */
  private projected(cpuPct: number, step: Step, consumers: number): number {
    return Math.min(cpuPct + (step.savedPerConsumer ?? 0) * consumers, cpuPct * LIFT_GROWTH_MAX);
  }

  /** CPU the current step saved (percent of the core, at today's consumers), once it has settled. */
  savedPct(consumers: number): number | null {
    const saved = this.steps.at(-1)?.savedPerConsumer;
    return saved == null ? null : saved * consumers;
  }
}
