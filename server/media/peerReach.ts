/**
 * Tells when a page's media has not got through to the server for a while: it has a
 * transport, and none of its transports has connected for `windowMs`. That is what a school
 * network blocking the media ports looks like from here (ICE never completes), and the teacher
 * should see it on the wall: the classroom is online, its attendance may be in, yet it neither
 * sees nor hears the lesson. The page itself shows the same after the same time
 * (client/lib/mediaReach.ts).
 *
 * mediasoup's ICE-lite side never notices a path that dies silently, so this covers a page
 * that never connected or whose TCP connection closed, not a UDP path that went quiet (the
 * page restarts ICE on that itself).
 */
export class PeerReach {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly blocked = new Set<string>();

  constructor(
    private readonly windowMs: number,
    /** Asked when the window ends: is the peer still waiting with no transport connected? */
    private readonly stillWaiting: (peerId: string) => boolean,
    private readonly onChange: (peerId: string, blocked: boolean) => void,
  ) {}

  /** The peer has a transport but none connected: start the window unless it runs already. */
  waiting(peerId: string): void {
    if (this.timers.has(peerId) || this.blocked.has(peerId)) return;
    const timer = setTimeout(() => {
      this.timers.delete(peerId);
      if (!this.stillWaiting(peerId)) return;
      this.blocked.add(peerId);
      this.onChange(peerId, true);
    }, this.windowMs);
    timer.unref();
    this.timers.set(peerId, timer);
  }

  /** A transport of the peer connected. */
  connected(peerId: string): void {
    this.forget(peerId);
  }

  /** The peer connected or left: no window, and if it was blocked, it is no longer. */
  forget(peerId: string): void {
    const timer = this.timers.get(peerId);
    if (timer) clearTimeout(timer);
    this.timers.delete(peerId);
    if (this.blocked.delete(peerId)) this.onChange(peerId, false);
  }

  isBlocked(peerId: string): boolean {
    return this.blocked.has(peerId);
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.blocked.clear();
  }
}
