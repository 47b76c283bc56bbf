import { deleteRecording, type RecordingStore } from '../store/recordingStore.js';
import type { Store } from '../store/types.js';

const DAY_MS = 86_400_000;

/**
 * Pupils are minors: a question's text is kept `retentionDays`, then deleted. The log keeps
 * the question_raised event (with hasText) so every count stays.
 */
export function purgeQuestionTexts(store: Store, retentionDays: number, now: number): number {
  return store.purgeQuestionTexts(now - retentionDays * DAY_MS);
}

/**
 * Recordings take the disk (0.5–0.85 GB for a 45-minute lesson at the top layer): with a
 * retention set, finished segments older than it go, file and row. 0 keeps them until an
 * administrator deletes them. Returns how many went.
 */
export function purgeRecordings(recordings: RecordingStore, dir: string, retentionDays: number, now: number): number {
  if (retentionDays === 0) return 0;
  const old = recordings.endedBefore(now - retentionDays * DAY_MS);
  for (const r of old) deleteRecording(recordings, dir, r);
  return old.length;
}
