import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

/**
 * The token secret comes from TONGKE_TOKEN_SECRET (required in production, see config).
 * In demo/development mode one is generated once and kept in the data dir, so printed
 * links stay valid across restarts.
 */
export function resolveTokenSecret(config: Config, log: Logger): string {
  if (config.tokenSecret) return config.tokenSecret;
  const file = path.join(config.dataDir, 'token-secret');
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length >= 32) return stored;
  }
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  log.warn({ file }, 'TONGKE_TOKEN_SECRET not set: generated a demo secret (set it in production)');
  return secret;
}
