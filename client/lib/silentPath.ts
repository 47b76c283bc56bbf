/**
 * Notices that a transport's network path died well before the browser says so.
 *
 * When a school firewall starts dropping UDP, or a NAT forgets its mapping, Chrome keeps the
 * transport 'connected' for 7–8 s: it marks its path unwritable only after five unanswered
 * checks sent 2.5 s apart. Until then nothing arrives, and for the teacher's send transport that
 * means every classroom's picture and sound stop. The bytes a transport receives (media, RTCP
 * feedback, ICE replies) tell sooner: a transport that had been receiving steadily and then
 * receives nothing for SILENT_MS has lost its path, and an ICE restart finds another (TCP).
 *
 * A restart on a path that was fine (the teacher paused everything) costs one ICE exchange and
 * no media, so this errs towards restarting, but only once per silence.
 */
export const SILENT_MS = 2000;
/** Receiving for this long, never quiet for more than GAP_MS, counts as steady. */
export const STEADY_MS = 2000;
export const GAP_MS = 1000;

export class SilentPath {
  private lastBytes = -1;
  private lastChangeAt = 0;
  private steadySince: number | null = null;
  private fired = false;

  /** Feeds one reading of the transport's bytesReceived; true once when the path has gone silent. */
  sample(bytes: number, now: number): boolean {
    if (bytes !== this.lastBytes) {
      const gap = now - this.lastChangeAt;
      if (this.steadySince === null || gap > GAP_MS) this.steadySince = this.lastBytes < 0 ? null : now;
      this.lastBytes = bytes;
      this.lastChangeAt = now;
      this.fired = false;
      return false;
    }
    const silentFor = now - this.lastChangeAt;
    const steady = this.steadySince !== null && this.lastChangeAt - this.steadySince >= STEADY_MS;
    if (this.fired || !steady || silentFor < SILENT_MS) return false;
    this.fired = true;
    this.steadySince = null;
    return true;
  }
}

/** A transport not connected for this long is retried with an ICE restart (and the page says so: mediaReach.ts)… */
export const STUCK_AFTER_MS = 12_000;
/** …and again this often while it stays so. */
export const STUCK_RETRY_MS = 5_000;

/**
 * Retries a transport that cannot connect. Behind a firewall that drops everything, Chrome's
 * checks of the UDP pairs fail for good and its TCP attempt sits in the kernel's SYN backoff
 * (1, 2, 4, 8, 16 s…), so once the school opens the ports the page came back only at the next
 * SYN, after up to ~16 s, and over TCP. A fresh ICE generation every 5 s finds the opened path
 * within a few seconds, over UDP when UDP is open.
 */
export class StuckPath {
  private since: number | null = null;
  private lastRetry = 0;

  /** Feeds whether the transport is connected now; true when it should restart ICE. */
  sample(connected: boolean, now: number): boolean {
    if (connected) {
      this.since = null;
      return false;
    }
    this.since ??= now;
    if (now - this.since < STUCK_AFTER_MS || now - this.lastRetry < STUCK_RETRY_MS) return false;
    this.lastRetry = now;
    return true;
  }
}

/** A transport that settled on TCP or a relay looks for a direct UDP path this long after… */
export const DETOUR_FIRST_PROBE_MS = 15_000;
/** …then after twice as long each time it finds none, up to this. */
export const DETOUR_MAX_PROBE_MS = 120_000;

/**
 * Brings a transport back to UDP once the network allows it again. A page moves to TCP (or a
 * TURN relay) when UDP fails, and ICE never looks back by itself: its UDP checks failed, so it
 * stays on TCP for the rest of the lesson, where every lost packet holds up all that follow
 * it (a weak rural link then stutters far more than over UDP). An ICE restart checks every
 * pair afresh and takes UDP when it works; the old path carries the media until then, so a
 * probe that finds nothing costs one ICE exchange. Probes back off, since a firewall that
 * blocks UDP usually keeps doing so.
 */
export class DetourPath {
  private since: number | null = null;
  private wait = DETOUR_FIRST_PROBE_MS;

  /** Feeds whether the transport's media goes over TCP or a relay now; true when it should probe. */
  sample(detour: boolean, now: number): boolean {
    if (!detour) {
      this.since = null;
      this.wait = DETOUR_FIRST_PROBE_MS;
      return false;
    }
    this.since ??= now;
    if (now - this.since < this.wait) return false;
    this.since = now;
    this.wait = Math.min(this.wait * 2, DETOUR_MAX_PROBE_MS);
    return true;
  }
}
