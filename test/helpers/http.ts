import type { TestServer } from './server.js';

export interface HttpResult {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
}

/** A fetch with JSON in and out; `cookie` and `origin` act like a same-origin browser. */
export async function http(
  ts: TestServer,
  method: string,
  path: string,
  opts: { body?: unknown; bearer?: string; cookie?: string; origin?: string | null; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  const origin = opts.origin === undefined ? ts.url : opts.origin;
  if (origin !== null) headers.origin = origin;
  const res = await fetch(`${ts.url}${path}`, {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON (a CSV or a page) */
  }
  return { status: res.status, body, headers: res.headers };
}

/** The `name=value` part of a Set-Cookie header, to send back as Cookie. */
export function cookieOf(res: HttpResult): string {
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

export async function adminToken(ts: TestServer): Promise<string> {
  return ts.token({ role: 'admin', name: 'test admin' });
}

/** Creates an account through the admin API and logs it in; returns its session cookie. */
export async function loginAs(
  ts: TestServer,
  account: { username: string; role: string; teacherName?: string; classroomId?: string; displayName?: string },
  password = 'correct horse battery',
): Promise<string> {
  const created = await http(ts, 'POST', '/api/admin/accounts', {
    bearer: await adminToken(ts),
    body: { displayName: account.username, ...account, password },
  });
  if (created.status !== 201) throw new Error(`create account: ${created.status} ${JSON.stringify(created.body)}`);
  const login = await http(ts, 'POST', '/api/auth/login', { body: { username: account.username, password } });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
  return cookieOf(login);
}
