import type { Store } from '../store/types.js';

const DAY_MS = 86_400_000;

/**
 * Pupils are minors: a question's text is kept `retentionDays`, then deleted. The log keeps
 * the question_raised event (with hasText) so every count stays.
 */
export function purgeQuestionTexts(store: Store, retentionDays: number, now: number): number {
  return store.purgeQuestionTexts(now - retentionDays * DAY_MS);
}
