/**
 * Who is connected to a lesson. A classroom may briefly have two connections (a socket
 * reconnecting before the old one is gone), so presence counts connections per identity
 * and reports only the transitions online→offline and back.
 */
export class Presence {
  private readonly counts = new Map<string, number>();

  /** Returns true when the identity just came online. */
  add(identity: string): boolean {
    const n = (this.counts.get(identity) ?? 0) + 1;
    this.counts.set(identity, n);
    return n === 1;
  }

  /** Returns true when the identity just went offline. */
  remove(identity: string): boolean {
    const n = this.counts.get(identity) ?? 0;
    if (n <= 1) {
      this.counts.delete(identity);
      return n === 1;
    }
    this.counts.set(identity, n - 1);
    return false;
  }

  has(identity: string): boolean {
    return this.counts.has(identity);
  }
}
