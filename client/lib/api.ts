import { tokenFromLocation } from './dom.js';

/** Admin API calls carry the bearer token from the link's fragment; errors keep the server's message. */
const token = tokenFromLocation();
const auth = () => ({ Authorization: `Bearer ${token ?? ''}` });

async function checked(res: Response): Promise<Response> {
  if (res.ok) return res;
  let message = res.statusText;
  try {
    message = ((await res.json()) as { error?: { message?: string } }).error?.message ?? message;
  } catch {
    /* not JSON */
  }
  throw new Error(message);
}

export async function apiGet<T>(path: string): Promise<T> {
  return (await (await checked(await fetch(path, { headers: auth() }))).json()) as T;
}

export async function apiSend<T>(method: 'POST' | 'PUT', path: string, body: BodyInit, type = 'application/json'): Promise<T> {
  const res = await fetch(path, { method, headers: { ...auth(), 'content-type': type }, body });
  return (await (await checked(res)).json()) as T;
}

/**
 * Downloads need the token too, so a plain link cannot work: fetch, then hand the bytes
 * to the browser through a short-lived Blob URL.
 */
export async function download(path: string, fileName: string): Promise<void> {
  const blob = await (await checked(await fetch(path, { headers: auth() }))).blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
