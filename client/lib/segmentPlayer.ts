/** How far apart the two players may drift before the camera is put back in step (seconds). */
const MAX_DRIFT_S = 0.25;

/**
 * Plays a shared screen's recording with the teacher's camera in its corner: the camera's file
 * (recorded over the same time, muted here: the screen's file has the sound) follows whatever
 * the screen's player does — play, pause, seek, speed — and is put back in step when it drifts.
 * Returns what undoes the coupling (before another recording is played).
 */
function keepInStep(main: HTMLVideoElement, beside: HTMLVideoElement): () => void {
  const coupling = new AbortController();
  const on = (type: string, act: () => void) => main.addEventListener(type, act, { signal: coupling.signal });
  const align = () => {
    if (Math.abs(beside.currentTime - main.currentTime) > MAX_DRIFT_S) beside.currentTime = main.currentTime;
  };
  on('play', () => {
    align();
    // The camera's file may end a moment before the screen's: it then keeps its last picture.
    void beside.play().catch(() => {});
  });
  on('pause', () => beside.pause());
  on('ended', () => beside.pause());
  on('seeked', align);
  on('timeupdate', align);
  on('ratechange', () => (beside.playbackRate = main.playbackRate));
  return () => {
    coupling.abort();
    beside.pause();
  };
}

/**
 * The player of recorded segments (admin 录播 panel, public library): the segment's file in the
 * big player and, for a shared screen's segment, the teacher's camera in its corner.
 */
export class SegmentPlayer {
  private uncouple = () => {};

  constructor(
    readonly main: HTMLVideoElement,
    private readonly corner: HTMLVideoElement,
  ) {}

  /** Plays a segment from its files' addresses (`camera` null: no corner picture). */
  play(id: string, urls: { main: string; camera: string | null }): void {
    this.uncouple();
    this.uncouple = () => {};
    // A previous Blob URL (a page opened with a link token) is let go.
    for (const v of [this.main, this.corner]) if (v.src.startsWith('blob:')) URL.revokeObjectURL(v.src);
    this.main.src = urls.main;
    if (urls.camera) {
      this.corner.src = urls.camera;
      this.uncouple = keepInStep(this.main, this.corner);
    } else {
      this.corner.removeAttribute('src');
      this.corner.load();
    }
    this.corner.hidden = urls.camera === null;
    this.main.hidden = false;
    this.main.dataset.recording = id;
    void this.main.play().catch(() => {});
  }
}
