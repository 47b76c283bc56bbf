import type { RequestHandler } from 'express';
import { AppError } from '../errors.js';

/**
 * A token bucket per client IP (HTTP API, login, Socket.IO handshakes). Full buckets are
 * forgotten when the table grows, so a scan from many addresses cannot grow memory.
 */
export class IpBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  take(ip: string): boolean {
    const t = this.now();
    if (this.buckets.size >= this.maxEntries && !this.buckets.has(ip)) this.prune(t);
    const b = this.buckets.get(ip) ?? { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.perSecond);
    b.at = t;
    this.buckets.set(ip, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private prune(t: number): void {
    for (const [ip, b] of this.buckets) {
      if (b.tokens + ((t - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(ip);
    }
    // Everyone is mid-burst: drop the oldest half rather than grow without bound.
    if (this.buckets.size >= this.maxEntries) {
      let n = Math.floor(this.buckets.size / 2);
      for (const ip of this.buckets.keys()) {
        if (n-- <= 0) break;
        this.buckets.delete(ip);
      }
    }
  }
}

/** Refuses with 429 RATE_LIMITED (and Retry-After) when the caller's IP bucket is empty. */
export function rateLimitByIp(buckets: IpBuckets, what: string): RequestHandler {
  return (req, res, next) => {
    if (buckets.take(req.ip ?? req.socket.remoteAddress ?? 'unknown')) {
      next();
      return;
    }
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil(1 / buckets.perSecond))));
    next(new AppError('RATE_LIMITED', `too many ${what} requests from this address: slow down`));
  };
}
