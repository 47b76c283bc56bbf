import type { RequestHandler } from 'express';
import { AppError } from '../errors.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

function originOf(value: string | undefined): string | null {
  if (!value) return null;
  try {
    return new URL(value).host;
  } catch {
    return 'invalid';
  }
}

/**
 * CSRF protection by Origin check (no token to thread through the pages): a state-changing
 * request whose Origin (or, lacking it, Referer) names another site is refused, and one
 * authenticated by the session cookie must name ours. Browsers always send Origin on
 * cross-site POST/PUT/DELETE, so a forged form or fetch from another site is refused; the
 * cookie is also SameSite=Strict. Bearer-token clients send no cookie and need no Origin.
 */
export function originCheck(publicUrl: string | undefined): RequestHandler {
  const ours = new Set<string>();
  const configured = originOf(publicUrl);
  if (configured && configured !== 'invalid') ours.add(configured);
  return (req, _res, next) => {
    if (SAFE.has(req.method)) {
      next();
      return;
    }
    const origin = req.headers.origin !== undefined ? originOf(req.headers.origin) ?? 'invalid' : originOf(req.headers.referer);
    const host = req.headers.host;
    if (origin === null) {
      if (req.principal?.via === 'session') throw new AppError('FORBIDDEN', 'cross-site request refused: no Origin');
      next();
      return;
    }
    if (origin !== host && !ours.has(origin)) throw new AppError('FORBIDDEN', 'cross-site request refused');
    next();
  };
}
