import type { QualityMode } from '../../shared/media.js';

/** How a classroom's link looks from mediasoup's 0–10 score (null: no media yet). */
export type QualityLevel = 'good' | 'fair' | 'poor' | 'unknown';

export const qualityLevel = (q: number | null): QualityLevel => (q === null ? 'unknown' : q >= 7 ? 'good' : q >= 4 ? 'fair' : 'poor');

export const LEVEL_TEXT = { good: 'qualityGood', fair: 'qualityFair', poor: 'qualityPoor', unknown: 'qualityUnknown' } as const;

/** What the classroom page suggests to the assistant about its own link. */
export type LinkAdvice = 'none' | 'trySmooth' | 'tryAudio';

/**
 * A poor spell must last this long before the page advises: when bandwidth drops, 自动 itself
 * moves to a lower layer within a few seconds and the score recovers (the weak-link e2e test
 * sees a 2 s dip), so only a link that stays weak needs the assistant to act.
 */
export const ADVICE_AFTER_MS = 6_000;

/**
 * On a link that stays weak the picture stalls while sound still comes through, and the
 * assistant may not know that 流畅 or 仅音频 would help. A spell starts when the score turns
 * poor, goes on while it is poor or fair (so the advice does not flicker as the score hovers
 * near a line), and ends when the score is good again. The page also counts a crawling
 * picture as poor (classroom/pictureWatch.ts). Advice shows once a spell has lasted
 * ADVICE_AFTER_MS, and never in sound-only mode.
 */
export class LinkAdvisor {
  private poorSince: number | null = null;

  constructor(private readonly afterMs = ADVICE_AFTER_MS) {}

  /** The link's level and the chosen mode at `now` (ms); the advice to show. */
  update(level: QualityLevel, mode: QualityMode, now: number): LinkAdvice {
    // 'unknown' (no score for a moment, e.g. while media is rebuilt) neither starts nor ends a spell.
    if (level === 'good') this.poorSince = null;
    else if (level === 'poor' && this.poorSince === null) this.poorSince = now;
    if (mode === 'audio' || level === 'unknown' || this.poorSince === null || now - this.poorSince < this.afterMs) return 'none';
    return mode === 'smooth' ? 'tryAudio' : 'trySmooth';
  }

  /** How long until the advice may change with no new score (ms), or null: update then. */
  recheckInMs(now: number): number | null {
    return this.poorSince === null ? null : Math.max(0, this.poorSince + this.afterMs - now);
  }
}
