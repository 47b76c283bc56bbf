import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger.js';
import type { RecordedSegment } from '../media/recordedSegment.js';
import { partName, type RecordingStore } from '../store/recordingStore.js';

/** Camera and microphone come a moment apart when the teacher publishes: wait for both. */
const SETTLE_MS = 1500;
/** ffmpeg failing again and again (a broken install) is logged, not retried for ever. */
const MAX_FAILURES_IN_A_ROW = 3;
const RETRY_MS = 5000;
/** A WebM header alone is well under this; a second of picture well over. */
const EMPTY_BYTES = 4096;
/** How often the disk's free space is looked at while recording is on (a statfs: cheap). */
const ROOM_CHECK_MS = 2000;

export interface RecordingState {
  active: boolean;
  since: number | null;
  /** A segment is being written now (false while waiting for the teacher's media, or failing). */
  writing: boolean;
  /** Why recording stopped by itself, until it is started again. */
  halted: 'storage_full' | null;
}

/** What turning recording on did: `no_room` when the disk is too full for it. */
export type RecordingStart = 'started' | 'already' | 'no_room';

/**
 * Whether a lesson is being recorded (录播) and its current segment. Recording is the lecture
 * school's decision, taken by the teacher during the lesson. While it is on, the teacher's camera
 * (or shared screen) and microphone are written into one segment file after another (beside a
 * shared screen, the camera goes into a second file of the segment): a segment ends when the
 * teacher starts or stops sharing, publishes anew or a worker dies, and the next starts once the
 * teacher's media is back.
 */
export class LessonRecording {
  private since: number | null = null;
  private segment: { id: string; recorder: RecordedSegment } | null = null;
  private starting = false;
  private timer: NodeJS.Timeout | null = null;
  private roomTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private halted: RecordingState['halted'] = null;

  constructor(
    private readonly deps: {
      lessonId: string;
      /** Root of the recordings; each lesson's segments go in a folder of its id. */
      dir: string;
      recordings: RecordingStore;
      /**
       * Starts recording the teacher's media into `files.main` (and, beside a shared screen, the
       * camera into `files.camera`); null while there is none.
       */
      source: (files: { main: string; camera: string }) => Promise<RecordedSegment | null>;
      log: Logger;
      now: () => number;
      /** A segment started or ended: what the teacher's page shows changed. */
      changed: () => void;
      /** Whether the disk has room for recording (the lesson log must never meet a full disk). */
      room: () => boolean;
      /** Recording stopped itself for want of disk space (it is off now, and says why). */
      halted: () => void;
    },
  ) {}

  state(): RecordingState {
    return { active: this.since !== null, since: this.since, writing: this.segment !== null, halted: this.halted };
  }

  /** Turns recording on, unless the disk is short of room; the first segment starts shortly. */
  start(since = this.deps.now()): RecordingStart {
    if (this.since !== null) return 'already';
    if (!this.deps.room()) {
      this.halted = 'storage_full';
      return 'no_room';
    }
    this.since = since;
    this.halted = null;
    this.failures = 0;
    // While recording is on, not only while a file is written: a disk filled by something else
    // turns it off before the teacher's media comes back.
    this.roomTimer ??= setInterval(() => {
      if (!this.deps.room()) this.halt();
    }, ROOM_CHECK_MS);
    this.roomTimer.unref();
    this.sourcesChanged(0);
    return 'started';
  }

  /** Turns recording off and finishes the segment being written (false if it was off). */
  async stop(): Promise<boolean> {
    if (this.since === null) return false;
    this.since = null;
    this.clearTimers();
    await this.finishSegment();
    return true;
  }

  /**
   * Finishes the segment being written, and returns once its row is finished too (`ended` below
   * ran: it was chained on the segment's end before anything here waits for it).
   */
  private async finishSegment(): Promise<void> {
    const segment = this.segment?.recorder;
    if (!segment) return;
    await segment.stop();
    await segment.ended;
  }

  /** Short of disk space: recording goes off at once (the page is told), its file is finished. */
  private halt(): void {
    if (this.since === null) return;
    this.halted = 'storage_full';
    // stop() turns recording off before its first await, so the state below is already "off".
    const finishing = this.stop();
    this.deps.halted();
    void finishing;
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.roomTimer) clearInterval(this.roomTimer);
    this.timer = null;
    this.roomTimer = null;
  }

  /**
   * The teacher began sharing a screen: the segment on the camera ends and the next records the
   * screen (when the sharing stops, that segment ends with its source and the camera is next).
   */
  async switchSources(): Promise<void> {
    if (this.since === null) return;
    await this.finishSegment();
    this.sourcesChanged();
  }

  /** The teacher's media changed: start a segment soon if recording is on and none is running. */
  sourcesChanged(delay = SETTLE_MS): void {
    if (this.since === null || this.segment || this.starting) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.startSegment();
    }, delay);
  }

  private async startSegment(): Promise<void> {
    if (this.since === null || this.segment || this.starting) return;
    if (!this.deps.room()) return this.halt();
    this.starting = true;
    const id = `rec-${randomBytes(6).toString('hex')}`;
    const relative = `${this.deps.lessonId}/${id}.webm`;
    const cameraRelative = partName(relative, 'camera');
    const files = { main: path.join(this.deps.dir, relative), camera: path.join(this.deps.dir, cameraRelative) };
    try {
      mkdirSync(path.dirname(files.main), { recursive: true });
      const recorder = await this.deps.source(files);
      if (!recorder) return;
      if (this.since === null) {
        await recorder.stop();
        for (const file of Object.values(files)) rmSync(file, { force: true });
        return;
      }
      this.deps.recordings.add({
        id,
        lessonId: this.deps.lessonId,
        file: relative,
        startedAt: this.deps.now(),
        cameraFile: recorder.camera ? cameraRelative : null,
      });
      this.segment = { id, recorder };
      this.deps.log.info({ recordingId: id }, 'recording segment started');
      this.deps.changed();
      void recorder.ended.then((why) => this.ended(id, recorder, why));
    } catch (err) {
      this.deps.log.warn({ err }, 'recording: could not start a segment');
      this.retry();
    } finally {
      this.starting = false;
    }
  }

  private ended(id: string, segment: RecordedSegment, why: string): void {
    const { main, camera } = segment;
    const bytes = main.bytes();
    if (bytes < EMPTY_BYTES) {
      // Nothing but a header got written (the source closed at once): no empty file in the list.
      this.deps.recordings.remove(id);
      for (const r of [main, camera]) if (r) rmSync(r.file, { force: true });
    } else {
      const cameraBytes = camera?.bytes() ?? 0;
      // A camera file with no picture in it is dropped; the screen's file stands on its own.
      if (camera && cameraBytes < EMPTY_BYTES) rmSync(camera.file, { force: true });
      this.deps.recordings.finish(id, this.deps.now(), bytes, cameraBytes < EMPTY_BYTES ? null : { bytes: cameraBytes });
    }
    if (this.segment?.id === id) {
      this.segment = null;
      this.deps.changed();
    }
    if (why === 'failed') this.retry();
    else if (why === 'source-closed') this.sourcesChanged();
    else this.failures = 0;
  }

  private retry(): void {
    if (this.since === null) return;
    if (++this.failures > MAX_FAILURES_IN_A_ROW) {
      this.deps.log.error({ failures: this.failures }, 'recording: segments keep failing; no more tries until the teacher publishes again');
      this.failures = 0;
      return;
    }
    this.sourcesChanged(RETRY_MS);
  }

  /** The server stops: the segment is finished so its file plays; recording stays on in the log. */
  async close(): Promise<void> {
    this.clearTimers();
    const since = this.since;
    this.since = null;
    await this.finishSegment();
    this.since = since;
  }
}
