import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/**
 * Which proxies may tell us a client's address in X-Forwarded-For: none (null), the nearest
 * `n` hops, or those at these addresses, subnets and proxy-addr presets (loopback, linklocal,
 * uniquelocal). Never "any": then every client could name its own address and walk around the
 * per-IP limits.
 */
export type TrustProxy = null | number | readonly string[];

export type TrustFn = (address: string, hop: number) => boolean;

export const TRUST_PRESETS = ['loopback', 'linklocal', 'uniquelocal'] as const;

export function trustFunction(trust: TrustProxy): TrustFn {
  if (trust === null) return () => false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyaddr.compile([...trust]);
}

/**
 * The client's address as the per-IP limits see it, the same for Express (`trust proxy`) and
 * for Socket.IO handshakes: behind a trusted reverse proxy, the address the proxy reports.
 */
export function clientAddress(req: IncomingMessage, trust: TrustFn): string {
  return proxyaddr(req, trust);
}
