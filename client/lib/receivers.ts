import type { ProducerInfo } from '../../shared/media.js';
import type { MediaSession, ReceivedTrack } from './media.js';

/**
 * Keeps what a page receives in line with what it should receive. Pages call reconcile()
 * with the wanted producers after every state; it receives what is missing and drops
 * what is gone, so the page never depends on having seen individual events.
 */
export class Receivers {
  private readonly jobs = new Map<string, { info: ProducerInfo; job: Promise<ReceivedTrack | null> }>();

  constructor(
    private readonly session: () => MediaSession | null,
    private readonly onTrack: (info: ProducerInfo, track: MediaStreamTrack) => void,
    private readonly onGone: (info: ProducerInfo) => void,
  ) {}

  reconcile(wanted: ProducerInfo[]): void {
    const ids = new Set(wanted.map((p) => p.producerId));
    for (const id of [...this.jobs.keys()]) if (!ids.has(id)) this.drop(id);
    for (const info of wanted) this.receive(info);
  }

  private receive(info: ProducerInfo): void {
    const session = this.session();
    if (!session || this.jobs.has(info.producerId)) return;
    const job = session.receive(info).then(
      (r) => {
        if (session.isClosed || this.jobs.get(info.producerId)?.job !== job) return null;
        this.onTrack(info, r.track);
        return r;
      },
      (err: unknown) => {
        // Not receivable (yet): forget it so the next state retries.
        if (this.jobs.get(info.producerId)?.job === job) this.jobs.delete(info.producerId);
        console.warn('receive failed', info.producerId, err);
        return null;
      },
    );
    this.jobs.set(info.producerId, { info, job });
  }

  drop(producerId: string): void {
    const entry = this.jobs.get(producerId);
    if (!entry) return;
    this.jobs.delete(producerId);
    void entry.job.then((r) => {
      if (!r) return;
      this.session()?.dropProducer(producerId);
      this.onGone(entry.info);
    });
  }

  /** The server closed one of our consumers (e.g. its classroom left the stage). */
  consumerClosed(consumerId: string): void {
    for (const [producerId, entry] of this.jobs) {
      void entry.job.then((r) => {
        if (r?.consumer.id === consumerId) this.drop(producerId);
      });
    }
  }

  has(producerId: string): boolean {
    return this.jobs.has(producerId);
  }

  get size(): number {
    return this.jobs.size;
  }

  /** Forget everything (after a disconnect the server has dropped our consumers). */
  reset(): void {
    for (const entry of this.jobs.values()) this.onGone(entry.info);
    this.jobs.clear();
  }
}
