import type { RequestHandler } from 'express';

/**
 * The pages load only our own bundles and talk only to our own origin; media is WebRTC
 * (not governed by CSP). Inline scripts are never allowed, so injected text cannot run.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/** HSTS only in production: the demo and tests speak plain HTTP on a LAN address. */
export function securityHeaders(opts: { hsts: boolean } = { hsts: false }): RequestHandler {
  return (_req, res, next) => {
    if (opts.hsts) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    applyHeaders(res);
    next();
  };
}

function applyHeaders(res: Parameters<RequestHandler>[1]): void {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'camera=(self), microphone=(self), geolocation=()');
}
