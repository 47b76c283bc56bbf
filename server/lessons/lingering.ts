/**
 * When a page's signalling drops, its media usually has not: on a weak rural link the socket's
 * TCP backs off behind the media, or a Wi-Fi blip outlasts a ping. Such a peer lingers in the
 * lesson, media flowing, presence unchanged, until its page comes back, its media falls silent,
 * or the grace runs out; only then has it left.
 */
export interface LingerOptions {
  /** The longest a peer stays without signalling, however alive its media. */
  graceMs: number;
  /** A peer whose page has sent nothing (RTP, RTCP) for this long is gone. */
  silenceMs: number;
  /** How often its media is looked at. */
  checkEveryMs: number;
}

export type LingerEnd = 'silent' | 'grace';

/** Bytes the peer's media has received from its page so far; null if it holds no media. */
export type MediaProbe = () => Promise<number | null>;

interface Entry {
  timer: NodeJS.Timeout | null;
}

export class Lingering {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly opts: LingerOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts (or restarts) lingering for a peer; `onEnd` runs once unless cancelled first. */
  start(peerId: string, probe: MediaProbe, onEnd: (why: LingerEnd) => void): void {
    this.cancel(peerId);
    const entry: Entry = { timer: null };
    this.entries.set(peerId, entry);
    const startedAt = this.now();
    let aliveAt = startedAt;
    let lastBytes: number | null = null;
    const tick = async () => {
      entry.timer = null;
      const bytes = await probe().catch(() => null);
      if (this.entries.get(peerId) !== entry) return;
      const t = this.now();
      if (bytes !== null && lastBytes !== null && bytes > lastBytes) aliveAt = t;
      lastBytes = bytes;
      const why: LingerEnd | null =
        t - startedAt >= this.opts.graceMs ? 'grace' : t - aliveAt >= this.opts.silenceMs ? 'silent' : null;
      if (why) {
        this.entries.delete(peerId);
        onEnd(why);
        return;
      }
      const toGrace = startedAt + this.opts.graceMs - t;
      entry.timer = setTimeout(() => void tick(), Math.max(1, Math.min(this.opts.checkEveryMs, toGrace)));
    };
    void tick();
  }

  /** The page came back: returns whether the peer was lingering. */
  cancel(peerId: string): boolean {
    const entry = this.entries.get(peerId);
    if (!entry) return false;
    if (entry.timer) clearTimeout(entry.timer);
    this.entries.delete(peerId);
    return true;
  }

  has(peerId: string): boolean {
    return this.entries.has(peerId);
  }

  close(): void {
    for (const id of [...this.entries.keys()]) this.cancel(id);
  }
}
