/**
 * Which simulcast layers a sender still sends, noticed faster than mediasoup does.
 *
 * When the teacher's uplink weakens, libwebrtc stops sending its top layers outright. mediasoup
 * 3.12 marks a layer's stream inactive only 1.5 s after its last packet, and only then do the
 * classrooms on that layer switch down and ask for a key frame: their picture stood still for
 * 2–3 s (test/e2e/weakUplink.test.ts). Counting each layer's packets every POLL_MS sees a layer
 * stop within SILENT_MS, and the server caps the classrooms at the lowest layer at once: on an
 * uplink that just lost its top layer the next one is often going too, and the lowest layer's
 * key frame is the one that gets through a choked uplink soonest (a 720p one took over a second
 * at 300 kbit/s). The cap then climbs one layer per BACK_AFTER_MS while the layer above sends
 * steadily; a climb never freezes the picture, as the old layer plays until the new one's key
 * frame is in. An encoder that switches a layer on and off does not drag everyone with it.
 * Only a layer that had sent steadily for ESTABLISH_MS can stop: at the start of a stream, while
 * the encoder ramps up and turns its upper layers on one by one, nobody is capped.
 */
export const SENDER_LAYER_TIMING = { pollMs: 200, silentMs: 500, backAfterMs: 2_000, establishMs: 1_000 };

/** Packets received so far per layer, lowest layer first (mediasoup's producer stats by rid). */
export type LayerCounts = () => Promise<number[]>;

export class SenderLayers {
  private timer: NodeJS.Timeout | null = null;
  private last: number[] = [];
  private grewAt: number[] = [];
  /** Since when each layer has sent without a gap (null or missing: it is silent). */
  private steadySince: (number | null)[] = [];
  /** Layers that have sent steadily for a while at some point: only these can stop. */
  private established: boolean[] = [];
  /** The highest layer the classrooms may receive; null: no cap (all layers flowing, or unknown). */
  private cap: number | null = null;
  private capSince = 0;
  private closed = false;

  constructor(
    private readonly counts: LayerCounts,
    private readonly onCap: (cap: number | null) => void,
    private readonly timing = SENDER_LAYER_TIMING,
    private readonly now: () => number = Date.now,
  ) {
    this.schedule();
  }

  get current(): number | null {
    return this.cap;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.poll(), this.timing.pollMs);
  }

  private async poll(): Promise<void> {
    const counts = await this.counts().catch(() => null);
    if (this.closed) return;
    if (counts) this.update(counts);
    this.schedule();
  }

  private update(counts: number[]): void {
    const t = this.now();
    counts.forEach((n, i) => {
      const before = this.last[i];
      this.last[i] = n;
      if (before === undefined) return; // the first look only sets the baseline
      if (n > before) {
        this.grewAt[i] = t;
        const since = (this.steadySince[i] ??= t);
        if (t - since >= this.timing.establishMs) this.established[i] = true;
      } else if (t - (this.grewAt[i] ?? t) >= this.timing.silentMs) {
        this.steadySince[i] = null;
      }
    });
    const flowing = (i: number) => (this.steadySince[i] ?? null) !== null;
    const top = this.established.lastIndexOf(true);
    // Nothing has got going yet, or nothing flows at all (the teacher paused, the link is gone):
    // not a layer problem, and mediasoup's own handling stays in charge.
    if (top < 0 || !counts.some((_, i) => flowing(i))) return this.set(null);
    // The layer the classrooms may take stopped: everyone to the lowest at once, if it flows
    // (else mediasoup picks whatever still does).
    const capLayer = this.cap ?? top;
    if (!flowing(capLayer)) return this.set(capLayer > 0 && flowing(0) ? 0 : null);
    if (this.cap === null) return;
    // Climb one layer once the cap has held, and the layer above has sent steadily, for a while.
    const next = this.cap + 1;
    const steadyFor = t - (this.steadySince[next] ?? t);
    if (t - this.capSince >= this.timing.backAfterMs && flowing(next) && steadyFor >= this.timing.backAfterMs) {
      this.set(next >= counts.length - 1 ? null : next);
    }
  }

  private set(cap: number | null): void {
    if (cap === this.cap) return;
    this.cap = cap;
    this.capSince = this.now();
    this.onCap(cap);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
