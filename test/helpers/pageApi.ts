import type { ReceiveStats } from '../../client/lib/media.js';
import type { LessonState } from '../../shared/lesson.js';

/** What the pages expose on window.tongke for tests and support (read-only views). */
export type Stats = ReceiveStats;
export interface PageApi {
  state(): LessonState | null;
  publishing(): boolean;
  stats(): Promise<Stats>;
  stageStats(): Promise<Stats>;
  receivingFrom(): string[];
  /** Media sessions built so far: a rebuild increments it. */
  sessions(): number;
}

declare global {
  interface Window {
    tongke: PageApi;
  }
}
