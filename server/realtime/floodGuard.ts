/**
 * Rate limiting answers each excess message, which still costs the event loop. A client
 * that keeps sending far past its limit is a flood: it is disconnected, and its identity
 * may not reconnect for a cool-down, so other classrooms keep their latency.
 */
export class FloodGuard {
  private readonly strikes = new Map<string, number[]>();
  private readonly banned = new Map<string, number>();

  constructor(
    private readonly maxRefusals = 100,
    private readonly windowMs = 5_000,
    private readonly coolDownMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records one refused (rate-limited) message; returns true when the sender must go. */
  refused(identity: string): boolean {
    const t = this.now();
    const list = (this.strikes.get(identity) ?? []).filter((x) => t - x < this.windowMs);
    list.push(t);
    this.strikes.set(identity, list);
    if (list.length < this.maxRefusals) return false;
    this.strikes.delete(identity);
    this.banned.set(identity, t + this.coolDownMs);
    return true;
  }

  /** Whether an identity is in its cool-down after a flood. */
  isBanned(identity: string): boolean {
    const until = this.banned.get(identity);
    if (until === undefined) return false;
    if (this.now() >= until) {
      this.banned.delete(identity);
      return false;
    }
    return true;
  }
}
