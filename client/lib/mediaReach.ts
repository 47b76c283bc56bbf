import type { IceCandidateInfo } from '../../shared/media.js';
import { t } from './i18n.js';
import type { MediaSession } from './media.js';
import { STUCK_AFTER_MS } from './silentPath.js';

/**
 * How long a page that wants media may go without a connected transport before it says so: the
 * moment it starts retrying its transports (StuckPath). Longer than a move to TCP when a
 * firewall starts dropping UDP (≤ 8 s in test/e2e/schoolFirewall) and than a worker's
 * replacement (≤ 2 s), so only a path that stays shut is reported.
 */
export const UNREACHABLE_MS = STUCK_AFTER_MS;

/**
 * Whether to tell the person at the page that its media cannot reach the server. Without it a
 * classroom whose school network blocks the media ports sees a black picture and "正在接收"
 * forever, and nobody knows whom to call.
 */
export class ReachWatch {
  private since: number | null = null;

  /** `wanting`: the lesson is live and the page sets up media; `flowing`: a transport is connected. */
  update(wanting: boolean, flowing: boolean, now: number): number | null {
    if (!wanting || flowing) {
      this.since = null;
      return null;
    }
    this.since ??= now;
    return now - this.since >= UNREACHABLE_MS ? now - this.since : null;
  }
}

/** "10.0.0.5 的 UDP 40000 和 TCP 40000 端口" / "UDP 40000 and TCP 40000 on 10.0.0.5". */
export function describeEndpoints(candidates: readonly IceCandidateInfo[]): string {
  const byIp = new Map<string, string[]>();
  for (const c of candidates) {
    const ports = byIp.get(c.ip) ?? [];
    const port = `${c.protocol.toUpperCase()} ${c.port}`;
    if (!ports.includes(port)) ports.push(port);
    byIp.set(c.ip, ports);
  }
  return [...byIp].map(([ip, ports]) => t('mediaEndpoint', { ip, ports: ports.join(t('and')) })).join(t('listSep'));
}

/**
 * Shows `banner` while the page wants media that has not flowed for UNREACHABLE_MS, naming the
 * server's media address and ports for the school's network administrator. Checks once a second.
 */
export function watchMediaReach(
  banner: HTMLElement,
  look: () => { wanting: boolean; flowing: boolean; candidates: readonly IceCandidateInfo[] },
  /** Also run every second: the page's own media status follows the transports, not just the state. */
  tick: () => void = () => {},
): () => void {
  const watch = new ReachWatch();
  const check = () => {
    tick();
    const now = look();
    const forMs = watch.update(now.wanting, now.flowing, performance.now());
    banner.hidden = forMs === null;
    if (forMs === null) return;
    const where = now.candidates.length ? describeEndpoints(now.candidates) : '';
    banner.textContent = t('mediaUnreachable', { s: Math.round(forMs / 1000) }) + (where ? t('mediaUnreachablePorts', { where }) : '');
  };
  const timer = setInterval(check, 1000);
  return () => clearInterval(timer);
}

/** What watchMediaReach looks at on a lesson page: live, and what its media session is doing. */
export function sessionReach(live: () => boolean, session: () => MediaSession | null) {
  return () => {
    const s = session();
    return { wanting: live() && (s?.trying ?? false), flowing: s?.flowing ?? false, candidates: s?.candidates ?? [] };
  };
}
