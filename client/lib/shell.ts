import type { LessonState, LessonStatus } from '../../shared/lesson.js';
import { byId, tokenFromLocation } from './dom.js';
import { applyI18n, installLanguageToggle, t, type Key } from './i18n.js';
import { keepTokenInAddress, lessonOfToken, tokenFromSession } from './sessionToken.js';
import { connect, presentedToken, presentToken, type TokenProvider, type TongkeSocket } from './socket.js';

/** About how long a page waits before knocking again when the server closed its connection. */
const SERVER_CLOSE_RETRY_MS = 2500;
const RENEW_AGAIN_AFTER_MS = 5000;

/** The server's refusals a person can act on, in their language; others as the server said them. */
const REFUSALS: [RegExp, Key][] = [
  [/^token expired/, 'refusedExpired'],
  [/^access withdrawn/, 'refusedWithdrawn'],
  [/^this account no longer exists/, 'refusedAccountGone'],
  [/^no token/, 'refusedNoToken'],
];
const explainRefusal = (message: string) => {
  const known = REFUSALS.find(([pattern]) => pattern.test(message));
  return known ? t(known[1]) : message;
};

export type ConnState = 'connecting' | 'connected' | 'reconnecting' | 'refused';

const STATUS_KEY = { scheduled: 'statusScheduled', live: 'statusLive', ended: 'statusEnded' } as const;
export const statusText = (s: LessonStatus) => t(STATUS_KEY[s]);

/**
 * What every lesson page shares: the token from the link, the socket, the connection
 * badge, the language toggle and the lesson header.
 */
export interface TokenFallback {
  /** Asked at every connection attempt; should answer quickly. */
  token: TokenProvider;
  /** Resolves once a token can be had (may wait for a person, e.g. to enrol the device). */
  ready: () => Promise<void>;
  /** After the server refused our token (its code and message): true once a new one can be tried. */
  recover: (code: string, message: string) => Promise<boolean>;
}

export function startShell(
  onLanguage: () => void,
  /** Used when the link carries no token (a classroom PC with a device credential). */
  fallback?: TokenFallback,
  /**
   * Whether the page's media still flows: then a lost socket is only signalling, and the badge
   * says so, lest someone reload the page and break the picture that was still coming.
   */
  mediaFlowing: () => boolean = () => false,
): { socket: TongkeSocket; setConn: (s: ConnState, detail?: string) => void } | null {
  applyI18n();
  const conn = byId('conn');
  let connState: ConnState = 'connecting';
  /** Told the server is stopping: until we are back, the wait is the server's, not the network's. */
  let serverStopping = false;
  let connDetail = '';
  const setConn = (s: ConnState, detail = '') => {
    connState = s;
    connDetail = detail;
    conn.dataset.state = s;
    const text =
      s === 'reconnecting' && serverStopping
        ? t('reconnectingServerRestart')
        : s === 'reconnecting' && mediaFlowing()
          ? t('reconnectingMediaFlows')
          : t(s);
    conn.textContent = text + (detail ? `${t('colon')}${explainRefusal(detail)}` : '');
    // Refused for good: the lesson area says so where everyone looks, with the way back in.
    const banner = document.getElementById('refused-banner');
    if (banner) {
      banner.hidden = s !== 'refused';
      byId('refused-text').textContent = s === 'refused' ? `${t('refused')}${t('colon')}${explainRefusal(detail)}` : '';
      // Only a refusal a sign-in can mend offers it (an expired link, a changed password…).
      byId('sign-in-again').hidden = !REFUSALS.some(([pattern]) => pattern.test(detail));
    }
  };
  installLanguageToggle(byId<HTMLButtonElement>('lang'), () => {
    setConn(connState, connDetail);
    onLanguage();
  });
  const linkToken = tokenFromLocation();
  if (!linkToken && !fallback) {
    setConn('refused', 'no token');
    return null;
  }
  const socket = connect(linkToken ?? fallback!.token);
  setConn('connecting');
  if (!linkToken) {
    void fallback!.ready().then(() => socket.connect());
  }
  // Leaving the page says goodbye, so the server lets our media go at once instead of keeping
  // it for a page that might come back; a page restored from the back-forward cache reconnects.
  addEventListener('pagehide', () => socket.disconnect());
  addEventListener('pageshow', (e) => {
    if (e.persisted) socket.connect();
  });
  let renewedAt = 0;
  /** A new token for the same lesson from the login session, presented from the next connection on. */
  const renewFromSession = async (): Promise<boolean> => {
    // One renewed moments ago and refused all the same: another will not do better.
    if (Date.now() - renewedAt < RENEW_AGAIN_AFTER_MS) return false;
    renewedAt = Date.now();
    const refused = presentedToken(socket);
    const issued = refused ? await tokenFromSession(lessonOfToken(refused)).catch(() => null) : null;
    if (!issued) return false;
    presentToken(socket, issued.token);
    keepTokenInAddress(issued.token);
    return true;
  };
  socket.on('server:stopping', () => {
    serverStopping = true;
  });
  socket.on('connect', () => {
    serverStopping = false;
    setConn('connected');
  });
  socket.on('disconnect', (reason) => {
    setConn('reconnecting');
    // The server closed the connection itself, most often because it is restarting (an upgrade
    // during the school day). Socket.IO does not come back by itself then, so the page does,
    // spread over a few seconds lest a county's classrooms all knock at once. A server that
    // will not have us back says so at the handshake, and the page shows it.
    if (reason === 'io server disconnect') {
      setTimeout(() => {
        if (!socket.connected) socket.connect();
      }, SERVER_CLOSE_RETRY_MS * (0.2 + Math.random()));
    }
  });
  socket.on('connect_error', (err) => {
    // The server refused us (bad or expired token): retrying will not help.
    const code = (err as Error & { data?: { code?: string } }).data?.code;
    if (code && !linkToken && code === 'UNAUTHENTICATED') {
      // …unless the token came from the device credential: an expired or missing one is renewed.
      setConn('reconnecting');
      void fallback!.recover(code, err.message).then((again) => {
        if (again) socket.connect();
        else setConn('refused', err.message);
      });
    } else if (code === 'UNAUTHENTICATED' && linkToken) {
      // …or it came from a login session (the token ran out in a lesson that overran, or the
      // account's password was changed): the session may give one for the same lesson.
      setConn('reconnecting');
      void renewFromSession().then((renewed) => {
        if (renewed) {
          socket.connect();
        } else {
          setConn('refused', err.message);
          socket.disconnect();
        }
      });
    } else if (code) {
      setConn('refused', err.message);
      socket.disconnect();
    } else {
      setConn('reconnecting');
    }
  });
  return { socket, setConn };
}

export function renderLessonHeader(state: LessonState): void {
  byId('lesson-title').textContent = state.title;
  byId('lesson-meta').textContent = `${state.lectureClassroom.schoolName} · ${state.teacherName} · ${state.subject}`;
  const status = byId('lesson-status');
  status.dataset.status = state.status;
  status.textContent = statusText(state.status);
}

/**
 * The socket events both lesson pages handle alike: every state goes through reconcile
 * and render; lost consumers are dropped; a lost transport or a media reset rebuilds. After a
 * reconnect the media carries on, unless the server says it no longer holds it: then the page
 * drops it, and the state that follows sets it up again.
 */
export function wireLessonEvents(
  socket: TongkeSocket,
  handlers: {
    onState: (s: LessonState) => void;
    onConsumerClosed: (consumerId: string) => void;
    rebuild: () => void;
    onMediaLost: () => void;
  },
): void {
  socket.on('media:session', ({ resumed }) => {
    if (!resumed) handlers.onMediaLost();
  });
  socket.on('lesson:state', handlers.onState);
  socket.on('media:consumerClosed', ({ consumerId }) => handlers.onConsumerClosed(consumerId));
  socket.on('media:transportClosed', () => handlers.rebuild());
  socket.on('media:reset', () => handlers.rebuild());
}
