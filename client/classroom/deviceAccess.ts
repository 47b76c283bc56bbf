import { ApiError, checked } from '../lib/api.js';
import { byId } from '../lib/dom.js';
import { t, type Key } from '../lib/i18n.js';
import type { TokenFallback } from '../lib/shell.js';

/** Where the classroom PC keeps its device credential (the admin's one-time code buys it once). */
export const DEVICE_KEY = 'tongke.device';
const RETRY_MS = 30_000;
/** Renew this long before the socket token expires, so a reconnect never presents a stale one. */
const RENEW_BEFORE_MS = 2 * 60_000;

interface DeviceCredential {
  deviceId: string;
  classroomId: string;
  credential: string;
}
interface Issued {
  token: string;
  lessonId: string | null;
  expiresAt: number;
}

function stored(): DeviceCredential | null {
  try {
    const v = JSON.parse(localStorage.getItem(DEVICE_KEY) ?? 'null') as Partial<DeviceCredential> | null;
    return v && typeof v.credential === 'string' && typeof v.deviceId === 'string' && typeof v.classroomId === 'string'
      ? (v as DeviceCredential)
      : null;
  } catch {
    return null;
  }
}

async function postJson<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(path, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'omit',
  });
  return (await (await checked(res)).json()) as T;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The classroom page without a link token: trades the stored device credential for a socket
 * token (renewed before it expires), and when there is none, or it was revoked, shows the
 * enrolment form until the admin's code has been redeemed.
 */
export function deviceAccess(ui: {
  showEnrol: (on: boolean) => void;
  notice: (text: string) => void;
}): TokenFallback & { relabel: () => void; nextLesson: (lessonId: string) => Promise<boolean> } {
  const form = byId<HTMLFormElement>('enrol-form');
  const codeInput = byId<HTMLInputElement>('enrol-code');
  const formMessage = byId('enrol-message');
  let cached: Issued | null = null;
  let renewTimer: ReturnType<typeof setTimeout> | undefined;
  let ensuring: Promise<void> | null = null;
  let formNote: Key | null = null;
  let fetchedAt = 0;

  function askForCode(note: Key | null): Promise<DeviceCredential> {
    formNote = note;
    formMessage.textContent = note ? t(note) : '';
    ui.showEnrol(true);
    codeInput.focus();
    return new Promise((resolve) => {
      const onSubmit = (e: SubmitEvent) => {
        e.preventDefault();
        const button = form.querySelector('button');
        if (button) button.disabled = true;
        formMessage.textContent = '';
        postJson<DeviceCredential>('/api/devices/enrol', { code: codeInput.value })
          .then((d) => {
            localStorage.setItem(DEVICE_KEY, JSON.stringify(d));
            form.removeEventListener('submit', onSubmit);
            codeInput.value = '';
            formNote = null;
            ui.showEnrol(false);
            resolve(d);
          })
          .catch((err: unknown) => {
            formNote =
              err instanceof ApiError && err.code === 'RATE_LIMITED'
                ? 'tooManyAttempts'
                : err instanceof ApiError && err.status < 500
                  ? 'enrolRefused'
                  : 'networkError';
            formMessage.textContent = t(formNote);
            codeInput.select();
          })
          .finally(() => {
            if (button) button.disabled = false;
          });
      };
      form.addEventListener('submit', onSubmit);
    });
  }

  async function fetchToken(d: DeviceCredential): Promise<Issued> {
    const issued = await postJson<Issued>('/api/devices/socket-token', {}, { Authorization: `Device ${d.credential}` });
    cached = issued;
    fetchedAt = Date.now();
    clearTimeout(renewTimer);
    renewTimer = setTimeout(
      () => {
        const now = stored();
        if (now) fetchToken(now).catch((err: unknown) => console.warn('token renewal failed', err));
      },
      Math.max(30_000, issued.expiresAt - Date.now() - RENEW_BEFORE_MS),
    );
    return issued;
  }

  /** Loops until we hold a token: enrol if needed, wait out "no lesson now". */
  function ensure(): Promise<void> {
    ensuring ??= (async () => {
      let note: Key | null = null;
      for (;;) {
        const d = stored() ?? (await askForCode(note));
        note = null;
        try {
          await fetchToken(d);
          return;
        } catch (err) {
          if (err instanceof ApiError && err.status === 401) {
            // Revoked (or the database was reset): forget it and ask for a new code.
            localStorage.removeItem(DEVICE_KEY);
            cached = null;
            note = 'deviceRevoked';
            continue;
          }
          ui.notice(err instanceof ApiError && err.code === 'NOT_FOUND' ? t('noCurrentLesson') : `${t('networkError')}：${(err as Error).message}`);
          await sleep(RETRY_MS);
        }
      }
    })().finally(() => {
      ensuring = null;
    });
    return ensuring;
  }

  return {
    async token() {
      if (cached && cached.expiresAt - Date.now() > 60_000) return cached.token;
      const d = stored();
      if (!d) throw new Error('not enrolled');
      return (await fetchToken(d)).token;
    },
    ready: ensure,
    async recover(_code, message) {
      // A token fetched moments ago and refused all the same will not do better the next time,
      // unless it was refused because this PC was revoked since: then the credential goes, and
      // the enrolment form comes back.
      const revoked = message.startsWith('this classroom PC was revoked');
      if (!revoked && Date.now() - fetchedAt < 5000) return false;
      cached = null;
      await ensure();
      return true;
    },
    /**
     * Asks for a token for the classroom's live-or-next lesson: true when one for another lesson
     * than `lessonId` is now held (the next connection presents it), false when there is none.
     */
    async nextLesson(lessonId) {
      const d = stored();
      if (!d) return false;
      try {
        const issued = await fetchToken(d);
        return issued.lessonId !== null && issued.lessonId !== lessonId;
      } catch (err) {
        if (err instanceof ApiError && err.code === 'NOT_FOUND') return false;
        throw err;
      }
    },
    // Re-translate the form's message on a language change.
    relabel() {
      formMessage.textContent = formNote ? t(formNote) : '';
    },
  };
}
