/**
 * Asks mediasoup to probe a classroom's downlink when its estimate is stuck below what the
 * classroom should receive.
 *
 * mediasoup (libwebrtc's GoogCC) probes for more bandwidth at the start, and mid-call only when
 * what its consumers want changes by more than 10%. Between those, a low estimate creeps up by
 * a few kbit/s a second. So a classroom whose first probe went wrong (its PC busy while the page
 * loads, measured on this 2-core host) sat at 640 px on a clean link for 16 s, at ~250 kbit/s of
 * a link that carries 2.4 Mbit/s; and one whose weak spell had passed took up to 45 s to climb
 * back (test/e2e/weakLink.test.ts).
 *
 * mediasoup 3.12 has no call to probe, but it probes when the transport's allowed maximum
 * changes. So a nudge lowers the maximum to twice the present estimate (still above it: nothing
 * sent is held back), and a moment later lifts the limit again. Each change sets off a probe
 * up to the new maximum, and a probe that gets through raises the estimate at once.
 *
 * Only a link that has lost nothing for a few seconds is nudged. On a lossy rural link a probe
 * overshot (a 300 kbit/s link with 4% loss measured 435 kbit/s, the classroom jumped to the top
 * layer and froze), and GoogCC's own handling is right there. Probes that a full link drops
 * count as loss themselves, so the next nudge waits for the loss to clear. Nudges repeat while
 * they raise the estimate, and come ever more rarely while they do not.
 */
export const DOWNLINK_PROBE_TIMING = {
  /** How often each receive transport is looked at. */
  checkMs: 1_000,
  /** Below its layer this long before the first nudge: mediasoup's own probes go first. */
  firstAfterMs: 3_000,
  /** Losing nothing for this long before any nudge: random loss may pause for a second or two. */
  cleanForMs: 3_000,
  /** Between nudges while they raise the estimate (each doubles it at most). */
  againMs: 2_000,
  /** Between nudges at most, while nudges do not raise the estimate (doubling up to this). */
  maxIntervalMs: 12_000,
  /** How long the lowered maximum stays before the limit is lifted again. */
  holdMs: 1_000,
};

/** Loss above this fraction (mediasoup's transport-cc view, last ~2 s) means the link is not clean. */
export const MAX_PROBE_LOSS = 0.005;
/** The lowered maximum relative to the estimate, and its floor (above mediasoup's least allowed). */
const NUDGE_FACTOR = 2;
const NUDGE_FLOOR_BPS = 150_000;
/** A nudge that raised the estimate by this much was worth it: the next may come as soon. */
const HELPED = 1.2;

/** One receive transport's link as mediasoup sees it. */
export interface DownlinkLink {
  estimateBps: number;
  lossFraction: number;
}

/** One receive transport as the prober sees it. */
export interface ProbeTarget {
  id: string;
  /** Whether a picture it receives is below the layer it should get (and the sender sends). */
  wantsMore(): boolean;
  /** Its bandwidth estimate and recent loss; null when it cannot be read (closed). */
  link(): Promise<DownlinkLink | null>;
  /** mediasoup's maximum outgoing bitrate for it; 0 lifts the limit. */
  setMax(bps: number): Promise<void>;
}

/**
 * When one transport is due a nudge: below its layer for a while, on a link that has lost
 * nothing for a while; again as soon while nudges help, ever more rarely while they do not.
 */
export class ProbeSchedule {
  private belowSince: number | null = null;
  private cleanSince: number | null = null;
  private nextAt = 0;
  private interval: number;
  private estimateAtLastNudge: number | null = null;

  constructor(private readonly timing = DOWNLINK_PROBE_TIMING) {
    this.interval = timing.firstAfterMs;
  }

  /** Whether to read the link now: only while the transport wants more than it gets. */
  watching(now: number, wantsMore: boolean): boolean {
    if (!wantsMore) {
      this.belowSince = null;
      this.cleanSince = null;
      this.interval = this.timing.firstAfterMs;
      this.estimateAtLastNudge = null;
      return false;
    }
    this.belowSince ??= now;
    return true;
  }

  /** Given its link read now, whether to nudge it now. */
  nudgeNow(now: number, link: DownlinkLink): boolean {
    if (link.lossFraction > MAX_PROBE_LOSS) {
      this.cleanSince = null;
      return false;
    }
    this.cleanSince ??= now;
    if (this.belowSince === null || now - this.belowSince < this.timing.firstAfterMs) return false;
    if (now - this.cleanSince < this.timing.cleanForMs || now < this.nextAt) return false;
    const helped = this.estimateAtLastNudge === null || link.estimateBps >= this.estimateAtLastNudge * HELPED;
    this.interval = helped ? this.timing.againMs : Math.min(this.interval * 2, this.timing.maxIntervalMs);
    this.estimateAtLastNudge = link.estimateBps;
    this.nextAt = now + this.interval;
    return true;
  }
}

export class DownlinkProber {
  private readonly schedules = new Map<string, ProbeSchedule>();
  private timer: NodeJS.Timeout | null = null;
  private checking = false;
  private closed = false;
  /** Nudges sent so far, for tests and support. */
  nudges = 0;

  constructor(
    private readonly targets: () => Iterable<ProbeTarget>,
    private readonly onNudge: (id: string, estimateBps: number) => void = () => {},
    private readonly timing = DOWNLINK_PROBE_TIMING,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => void this.check(), timing.checkMs);
    this.timer.unref();
  }

  /** One look at every receive transport; nudges run alongside, each on its own. */
  async check(): Promise<void> {
    if (this.checking || this.closed) return;
    this.checking = true;
    try {
      const seen = new Set<string>();
      for (const target of this.targets()) {
        seen.add(target.id);
        let schedule = this.schedules.get(target.id);
        if (!schedule) this.schedules.set(target.id, (schedule = new ProbeSchedule(this.timing)));
        if (!schedule.watching(this.now(), target.wantsMore())) continue;
        const link = await target.link().catch(() => null);
        if (!link || this.closed) continue;
        if (schedule.nudgeNow(this.now(), link)) void this.nudge(target, link.estimateBps);
      }
      for (const id of [...this.schedules.keys()]) if (!seen.has(id)) this.schedules.delete(id);
    } finally {
      this.checking = false;
    }
  }

  private async nudge(target: ProbeTarget, estimateBps: number): Promise<void> {
    this.nudges++;
    this.onNudge(target.id, estimateBps);
    try {
      await target.setMax(Math.max(NUDGE_FLOOR_BPS, Math.round(estimateBps * NUDGE_FACTOR)));
      await new Promise((r) => setTimeout(r, this.timing.holdMs));
    } catch {
      // The transport closed meanwhile: nothing to probe.
    } finally {
      // Always lifted again, even if the transport went meanwhile (then it fails harmlessly).
      await target.setMax(0).catch(() => {});
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.schedules.clear();
  }
}
