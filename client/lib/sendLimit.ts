/**
 * Why the teacher's camera sends every classroom less than its full picture, as Chrome tells it:
 * its CPU cannot encode all three layers in time ('cpu'), or its uplink cannot carry them
 * ('bandwidth'). The SFU forwards only what the teacher sends, so the teacher is the one who
 * can act (close other programs, move off a busy network) and the one to tell.
 */
export type SendLimit = 'cpu' | 'bandwidth';

/** One simulcast encoding of the camera, from its outbound-rtp stats. */
export interface EncodingSample {
  width: number;
  framesPerSecond: number;
  /** RTCOutboundRtpStreamStats.qualityLimitationReason: none, cpu, bandwidth or other. */
  reason: string;
}

/** Every outbound video encoding in a sender's stats report. */
export function encodingsOf(report: RTCStatsReport): EncodingSample[] {
  const out: EncodingSample[] = [];
  report.forEach((s: Record<string, unknown>) => {
    if (s.type !== 'outbound-rtp' || s.kind !== 'video') return;
    out.push({
      width: Number(s.frameWidth ?? 0),
      framesPerSecond: Number(s.framesPerSecond ?? 0),
      reason: String(s.qualityLimitationReason ?? 'none'),
    });
  });
  return out;
}

/** A limit must hold this long before the teacher is told, and be gone this long to clear. */
export const LIMIT_SHOWN_AFTER_MS = 8_000;
export const LIMIT_CLEARED_AFTER_MS = 3_000;
/** Chrome's bandwidth estimate starts low and climbs: its first seconds are no news. */
export const RAMP_UP_MS = 20_000;

export interface LimitView {
  limit: SendLimit;
  /** The widest picture still sent: what the best-connected classroom gets. */
  width: number;
}

/**
 * Samples the camera's encodings (every 2 s or so) and says when the teacher should be told:
 * the widest layer sent is narrower than the camera's picture, Chrome gives cpu or bandwidth as
 * the reason, and it has been so for LIMIT_SHOWN_AFTER_MS, after the encoder's ramp-up.
 */
export class SendLimitWatch {
  private since: number | null = null;
  private clearSince: number | null = null;
  private shown: LimitView | null = null;

  constructor(private readonly startedAt: number) {}

  sample(encodings: readonly EncodingSample[], cameraWidth: number, now: number): LimitView | null {
    const sending = encodings.filter((e) => e.framesPerSecond > 0);
    const width = Math.max(0, ...sending.map((e) => e.width));
    const reasons = new Set(encodings.map((e) => e.reason));
    const limit: SendLimit | null = reasons.has('cpu') ? 'cpu' : reasons.has('bandwidth') ? 'bandwidth' : null;
    const limited = limit !== null && sending.length > 0 && cameraWidth > 0 && width < cameraWidth;
    if (limited) {
      this.clearSince = null;
      this.since ??= now;
      if (this.shown || (now - this.since >= LIMIT_SHOWN_AFTER_MS && now - this.startedAt >= RAMP_UP_MS)) {
        this.shown = { limit, width };
      }
    } else {
      this.since = null;
      this.clearSince ??= now;
      if (this.shown && now - this.clearSince >= LIMIT_CLEARED_AFTER_MS) this.shown = null;
    }
    return this.shown;
  }
}
