import { ApiError, apiGet, checked } from './lib/api.js';
import { byId, el } from './lib/dom.js';
import { applyI18n, formatTime, installLanguageToggle, t } from './lib/i18n.js';

type Role = 'teacher' | 'assistant' | 'inspector' | 'admin';
interface Account {
  username: string;
  displayName: string;
  role: Role;
}
interface Issued {
  token: string;
  lessonId: string | null;
  expiresAt: number;
}

const loginForm = byId<HTMLFormElement>('login-form');
const lessonForm = byId<HTMLFormElement>('lesson-form');
const message = byId('login-message');
const lessonInput = byId<HTMLInputElement>('lesson-id');
/** A teacher may be sent here with the lesson already chosen: login.html?lesson=<id>. */
const lessonParam = new URLSearchParams(location.search).get('lesson');
let account: Account | null = null;
let lastError: (() => string) | null = null;

function showError(text: (() => string) | null): void {
  lastError = text;
  message.textContent = text ? text() : '';
}

/** The server's answers, in words a teacher can act on. */
function explain(err: unknown): () => string {
  if (err instanceof ApiError) {
    if (err.code === 'UNAUTHENTICATED') return () => t('wrongPassword');
    if (err.code === 'RATE_LIMITED') return err.message.startsWith('account locked') ? () => t('accountLocked') : () => t('tooManyAttempts');
    if (err.code === 'NOT_FOUND') return () => t('unknownLesson');
    if (err.code === 'FORBIDDEN') return () => `${t('notYourLesson')}（${err.message}）`;
    if (err.code === 'CONFLICT') return () => t('lessonEnded');
    return () => err.message;
  }
  return () => t('networkError');
}

async function post<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'same-origin',
  });
  return (await (await checked(res)).json()) as T;
}

const PAGE: Record<Exclude<Role, 'admin'>, string> = {
  teacher: 'teacher.html',
  assistant: 'classroom.html',
  // No inspector page yet: an inspector watches with the classroom page's protocol.
  inspector: 'classroom.html',
};

async function enter(role: Exclude<Role, 'admin'>, lessonId: string | null): Promise<void> {
  const issued = await post<Issued>('/api/auth/socket-token', lessonId ? { lessonId } : {});
  location.assign(`${PAGE[role]}#token=${encodeURIComponent(issued.token)}`);
}

async function afterLogin(a: Account): Promise<void> {
  account = a;
  if (a.role === 'admin') {
    location.assign('admin.html');
    return;
  }
  // An assistant's account knows its classroom, and the server finds the current lesson.
  if (a.role === 'assistant' || lessonParam) {
    await enter(a.role, lessonParam);
    return;
  }
  loginForm.hidden = true;
  lessonForm.hidden = false;
  renderWelcome();
  lessonInput.focus();
  // Offer the lessons this account can enter, live first, then the next: a teacher usually
  // just presses 进入课堂. Typing an id stays possible when the list is empty.
  const { lessons } = await apiGet<{ lessons: { id: string; title: string; status: string; plannedStart: number | null }[] }>(
    '/api/auth/lessons',
  ).catch(() => ({ lessons: [] }));
  const select = byId<HTMLSelectElement>('lesson-select');
  select.replaceChildren(
    ...lessons.map((l) => {
      const when = l.status === 'live' ? t('statusLive') : l.plannedStart ? formatTime(l.plannedStart) : t('statusScheduled');
      return Object.assign(el('option', { text: `${l.title}（${when}）` }), { value: l.id });
    }),
  );
  const pick = lessons.length > 0;
  byId('lesson-pick').hidden = !pick;
  byId('lesson-typed').hidden = pick;
  byId('lesson-id-hint').hidden = pick;
  (pick ? select : lessonInput).focus();
}

function renderWelcome(): void {
  if (account) byId('welcome').textContent = t('welcome', { name: account.displayName });
}

function busy(form: HTMLFormElement, on: boolean): void {
  form.querySelectorAll('button').forEach((b) => (b.disabled = on));
}

loginForm.addEventListener('submit', (e) => {
  e.preventDefault();
  showError(null);
  busy(loginForm, true);
  const username = byId<HTMLInputElement>('username').value.trim();
  const password = byId<HTMLInputElement>('password').value;
  post<{ account: Account }>('/api/auth/login', { username, password })
    .then((r) => afterLogin(r.account))
    .catch((err: unknown) => {
      showError(explain(err));
      byId<HTMLInputElement>('password').select();
    })
    .finally(() => busy(loginForm, false));
});

lessonForm.addEventListener('submit', (e) => {
  e.preventDefault();
  if (!account || account.role === 'admin') return;
  showError(null);
  busy(lessonForm, true);
  const chosen = byId('lesson-pick').hidden ? lessonInput.value.trim() : byId<HTMLSelectElement>('lesson-select').value;
  enter(account.role, chosen || null)
    .catch((err: unknown) => showError(explain(err)))
    .finally(() => busy(lessonForm, false));
});

// Changing the password signs in with the current one first: no session is needed beforehand,
// and the session it opens is the one that stays (the account's others end).
const passwordForm = byId<HTMLFormElement>('password-form');
function showPasswordForm(on: boolean): void {
  showError(null);
  loginForm.hidden = on;
  passwordForm.hidden = !on;
  if (on) {
    byId<HTMLInputElement>('pw-username').value = byId<HTMLInputElement>('username').value;
    byId<HTMLInputElement>(byId<HTMLInputElement>('pw-username').value ? 'pw-current' : 'pw-username').focus();
  }
}
byId('show-password-form').addEventListener('click', () => showPasswordForm(true));
byId('hide-password-form').addEventListener('click', () => showPasswordForm(false));

passwordForm.addEventListener('submit', (e) => {
  e.preventDefault();
  showError(null);
  const username = byId<HTMLInputElement>('pw-username').value.trim();
  const currentPassword = byId<HTMLInputElement>('pw-current').value;
  const newPassword = byId<HTMLInputElement>('pw-new').value;
  if (newPassword !== byId<HTMLInputElement>('pw-confirm').value) return showError(() => t('passwordsDiffer'));
  if (newPassword === currentPassword) return showError(() => t('samePassword'));
  busy(passwordForm, true);
  post<{ account: Account }>('/api/auth/login', { username, password: currentPassword })
    .then(async (r) => {
      const res = await fetch('/api/auth/password', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ currentPassword, newPassword }),
        credentials: 'same-origin',
      });
      await checked(res);
      passwordForm.reset();
      passwordForm.hidden = true;
      showError(() => t('passwordChanged'));
      // Long enough to read before the page moves on (an assistant or admin leaves at once).
      await new Promise((resolve) => setTimeout(resolve, 2500));
      await afterLogin(r.account);
    })
    .catch((err: unknown) => {
      showError(err instanceof ApiError && err.code === 'BAD_REQUEST' && err.message.startsWith('newPassword') ? () => t('passwordTooShort') : explain(err));
    })
    .finally(() => busy(passwordForm, false));
});

applyI18n();
installLanguageToggle(byId<HTMLButtonElement>('lang'), () => {
  renderWelcome();
  message.textContent = lastError ? lastError() : '';
});
byId<HTMLInputElement>('username').focus();
