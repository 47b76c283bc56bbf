import type { Grant } from '../../shared/token.js';
import type { LessonService, Participant } from '../lessons/lessonService.js';
import type { Lingering } from '../lessons/lingering.js';
import type { Logger } from '../logger.js';
import { identityOfGrant } from './participant.js';
import type { TongkeSocket } from './types.js';

/**
 * Disconnects that may be the network rather than the person: the page is likely still there,
 * and its media with it. Anything else (the page said goodbye, we closed it, the server stops)
 * leaves at once.
 */
const NETWORK_REASONS: ReadonlySet<string> = new Set(['ping timeout', 'transport close', 'transport error']);

/**
 * The peer a connection speaks for: the page's session key, namespaced by who the token grants
 * (so one grant can never take over another's media), or the connection itself if it sent none.
 */
export function peerIdOf(grant: Grant, sessionKey: string | undefined, socketId: string): string {
  return sessionKey ? `${identityOfGrant(grant)}~${sessionKey}` : socketId;
}

/**
 * Which socket speaks for each peer now. A peer outlives its socket: a connection that brings
 * the same session key back takes the peer over, media and all, and a connection that drops
 * for a network reason leaves the peer lingering instead of closing its media.
 */
export class PeerSockets {
  private readonly bound = new Map<string, TongkeSocket>();

  constructor(
    private readonly service: LessonService,
    private readonly lingering: Lingering,
  ) {}

  /** Binds the socket to its peer and joins the lesson; returns whether the peer's media carried on. */
  attach(socket: TongkeSocket, lessonId: string, participant: Participant, log: Logger): { resumed: boolean } {
    const peerId = socket.data.peerId;
    // First, as it may refuse (the classroom was taken off the lesson's plan since the handshake).
    const joined = this.service.join(lessonId, participant, peerId);
    const lingered = this.lingering.cancel(peerId);
    const previous = this.bound.get(peerId);
    this.bound.set(peerId, socket);
    // The page is back on a new connection before the server noticed the old one die.
    if (previous && previous !== socket) previous.disconnect(true);
    void socket.join(peerId);
    if (lingered || previous) log.info({ resumed: joined.resumed, replaced: Boolean(previous) }, 'peer came back');
    return joined;
  }

  /** The socket is gone: the peer leaves, lingers, or was already taken over by a newer socket. */
  detach(socket: TongkeSocket, lessonId: string, participant: Participant, reason: string, log: Logger): void {
    const peerId = socket.data.peerId;
    if (this.bound.get(peerId) !== socket) return;
    this.bound.delete(peerId);
    if (!NETWORK_REASONS.has(reason)) {
      this.service.leave(lessonId, participant, peerId);
      log.info({ reason }, 'left lesson');
      return;
    }
    log.info({ reason }, 'signalling lost: media kept while the page may come back');
    this.service.signalLost(lessonId, peerId);
    this.lingering.start(
      peerId,
      () => this.service.peerBytesReceived(lessonId, peerId),
      (why) => {
        this.service.leave(lessonId, participant, peerId);
        log.info({ reason, why }, 'left lesson: the page did not come back');
      },
    );
  }

  close(): void {
    this.lingering.close();
    this.bound.clear();
  }
}
