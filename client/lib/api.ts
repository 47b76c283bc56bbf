import { tokenFromLocation } from './dom.js';

/**
 * API calls: a demo link's fragment token is sent as a bearer token; without one we rely on
 * the session cookie (same-origin fetch sends it, and the browser adds our Origin, which the
 * CSRF check wants). Errors keep the server's code and message.
 */
const token = tokenFromLocation();
const auth = (): Record<string, string> => (token ? { Authorization: `Bearer ${token}` } : {});

/** True when this page was opened from a link carrying a token (so not by a login session). */
export const viaBearer = token !== null;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function checked(res: Response): Promise<Response> {
  if (res.ok) return res;
  let message = res.statusText;
  let code = 'HTTP_' + String(res.status);
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    message = body.error?.message ?? message;
    code = body.error?.code ?? code;
  } catch {
    /* not JSON */
  }
  throw new ApiError(res.status, code, message);
}

export async function apiGet<T>(path: string): Promise<T> {
  return (await (await checked(await fetch(path, { headers: auth(), credentials: 'same-origin' }))).json()) as T;
}

export async function apiSend<T>(method: 'POST' | 'PUT', path: string, body: BodyInit, type = 'application/json'): Promise<T> {
  const res = await fetch(path, { method, headers: { ...auth(), 'content-type': type }, body, credentials: 'same-origin' });
  return (await (await checked(res)).json()) as T;
}

/** A request whose answer may be empty (204): DELETE, logout. */
export async function apiCall(method: 'POST' | 'DELETE', path: string): Promise<void> {
  await checked(await fetch(path, { method, headers: auth(), credentials: 'same-origin' }));
}

/**
 * A media file for a player: its address when the session cookie goes with it (the player
 * then fetches ranges and can seek); with a link token, the bytes through a Blob URL.
 */
export async function mediaUrl(path: string): Promise<string> {
  if (!token) return path;
  const blob = await (await checked(await fetch(path, { headers: auth(), credentials: 'same-origin' }))).blob();
  return URL.createObjectURL(blob);
}

/**
 * Downloads need the token too, so a plain link cannot work: fetch, then hand the bytes
 * to the browser through a short-lived Blob URL.
 */
export async function download(path: string, fileName: string): Promise<void> {
  const blob = await (await checked(await fetch(path, { headers: auth(), credentials: 'same-origin' }))).blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
