import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { RequestHandler } from 'express';
import { z } from 'zod';

/** Encodings the client build writes beside each page asset, best first. */
const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;

/** An Accept-Encoding header as sent; anything odd counts as none (plain files). */
const AcceptEncoding = z.string().max(1_000).catch('');

/**
 * The quality the client gives each encoding it names (RFC 9110 §12.5.3): `*` stands for the
 * ones it does not name; a missing q is 1.
 */
export function encodingQualities(header: unknown): (name: string) => number {
  const q = new Map<string, number>();
  for (const part of AcceptEncoding.parse(header ?? '').split(',')) {
    const [token, ...params] = part.trim().toLowerCase().split(';');
    if (!token) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam === undefined ? 1 : Number(qParam.slice(2));
    q.set(token, Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : 0);
  }
  return (name) => q.get(name) ?? q.get('*') ?? 0;
}

/**
 * Serves the client's pages and scripts in the compressed forms `scripts/build-client.mjs`
 * wrote beside them (brotli, else gzip), as the browser's Accept-Encoding allows. A rural
 * classroom loads its 358 kB page script as ~68 kB; the server compresses nothing per request.
 * Only files listed at start-up are served this way (no path from the request reaches the
 * file system); anything else, or a browser that accepts neither, falls through to
 * express.static with the plain file.
 */
export function precompressed(dir: string, opts: { index: string; maxAgeMs: number }): RequestHandler {
  const root = path.resolve(dir);
  const files = new Map<string, { file: string; encodings: Set<string> }>();
  const listing = existsSync(root) ? readdirSync(root) : [];
  for (const f of listing) {
    const encodings = new Set(ENCODINGS.filter((e) => listing.includes(f + e.suffix)).map((e) => e.name));
    if (encodings.size > 0 && !ENCODINGS.some((e) => f.endsWith(e.suffix))) files.set(`/${f}`, { file: f, encodings });
  }
  const index = files.get(`/${opts.index}`);
  if (index) files.set('/', index);

  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const entry = files.get(req.path);
    if (!entry) return next();
    // The answer depends on Accept-Encoding, whichever form is sent (caches must key on it).
    res.vary('Accept-Encoding');
    // Brotli whenever the browser takes it (Chrome lists it after gzip, at the same quality).
    const quality = encodingQualities(req.headers['accept-encoding']);
    const encoding = ENCODINGS.find((e) => entry.encodings.has(e.name) && quality(e.name) > 0);
    if (!encoding) return next();
    res.type(path.extname(entry.file));
    res.setHeader('Content-Encoding', encoding.name);
    res.sendFile(entry.file + encoding.suffix, { root, maxAge: opts.maxAgeMs, dotfiles: 'deny' }, (err) => {
      if (!err || res.headersSent) return;
      // The compressed copy went missing since start-up: send the plain file instead, and
      // take back the encoding announced for the copy.
      res.removeHeader('Content-Encoding');
      res.removeHeader('Content-Type');
      next();
    });
  };
}
