import type { SegmentEnd, SegmentRecorder } from './recorder.js';

/**
 * One segment of a lesson's recording as the lesson sees it: the teacher's picture and
 * microphone in one file, and, while a screen is shared, the teacher's camera (with the
 * microphone again, which gives both files the same time line) in a second file recorded over
 * the same time, for players to show in a corner of the courseware. The two live and end
 * together: when either ends (its source closed, ffmpeg failed), the other is finished too,
 * so the next segment starts with both again.
 */
export class RecordedSegment {
  /** Resolves once both files are finished, with why the first one ended. */
  readonly ended: Promise<SegmentEnd>;

  constructor(
    readonly main: SegmentRecorder,
    readonly camera: SegmentRecorder | null,
  ) {
    const first = Promise.race(camera ? [main.ended, camera.ended] : [main.ended]);
    this.ended = first.then(async (why) => {
      await this.stop();
      return why;
    });
  }

  /** Finishes both files (each recorder's stop is idempotent). */
  async stop(): Promise<void> {
    await Promise.all([this.main.stop(), this.camera?.stop()]);
  }
}
