import { createHmac } from 'node:crypto';
import type { IceServer } from '../../shared/media.js';

export interface TurnConfig {
  urls: string[];
  /** coturn's `static-auth-secret` (`use-auth-secret`). */
  secret: string;
  ttlSeconds: number;
}

/**
 * Short-lived TURN credentials in coturn's REST form: the username is `<expiry>:<who>` and the
 * password the base64 HMAC-SHA1 of it under the shared secret, so the relay checks them without
 * a database and they stop working at the expiry. `who` names the page's role and classroom for
 * the relay's own log and quotas; nothing secret. No relay configured: no ICE servers.
 */
export function turnIceServers(turn: TurnConfig | null, who: string, now = Date.now()): IceServer[] {
  if (!turn) return [];
  const username = `${Math.floor(now / 1000) + turn.ttlSeconds}:${who.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  const credential = createHmac('sha1', turn.secret).update(username).digest('base64');
  return [{ urls: turn.urls, username, credential }];
}
