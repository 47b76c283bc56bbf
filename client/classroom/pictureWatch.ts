/** Below this many decoded frames a second the teacher's picture counts as crawling. */
export const CRAWL_FPS = 3;

/**
 * The teacher's camera as this page decodes it. mediasoup's score for a link can read good for
 * half a minute while a 150 kbit/s lossy link lets about one frame a second through
 * (test/e2e/tooWeakLink.test.ts); a crawling picture is what the assistant actually sees, so the
 * page treats it as a poor link. Fed a reading every few seconds; judges only a picture that
 * has started (frames decoded before), so a join still waiting for its first frame is not
 * "crawling", and a new consumer or a rebuilt session (counter back to 0) starts afresh.
 */
export class PictureWatch {
  private last: { producerId: string; frames: number; at: number } | null = null;
  private crawlingNow = false;

  /** `frames`: frames decoded so far from the teacher's camera `producerId`; null when none is received. */
  observe(producerId: string | null, frames: number | null, now: number): void {
    if (producerId === null || frames === null) {
      this.last = null;
      this.crawlingNow = false;
      return;
    }
    const last = this.last;
    this.last = { producerId, frames, at: now };
    if (!last || last.producerId !== producerId || frames < last.frames || now <= last.at) {
      this.crawlingNow = false;
      return;
    }
    this.crawlingNow = last.frames > 0 && ((frames - last.frames) * 1000) / (now - last.at) < CRAWL_FPS;
  }

  get crawling(): boolean {
    return this.crawlingNow;
  }
}
