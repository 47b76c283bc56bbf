import { z } from 'zod';
import { idSchema } from '../../shared/ids.js';

const issuedSchema = z.object({ token: z.string().min(1), lessonId: idSchema.nullable() });
export type SessionToken = z.infer<typeof issuedSchema>;

/**
 * A socket token from this browser's login session: for `lessonId`, or (an assistant) the
 * classroom's live-or-next lesson. Null when there is no session (a page opened from a shared
 * link), it has ended, or there is no such lesson for this account.
 */
export async function tokenFromSession(lessonId?: string): Promise<SessionToken | null> {
  const res = await fetch('/api/auth/socket-token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(lessonId ? { lessonId } : {}),
    credentials: 'same-origin',
  });
  if (!res.ok) return null;
  return issuedSchema.parse(await res.json());
}

const payloadSchema = z.object({ grant: z.object({ lessonId: idSchema.optional() }) });

/**
 * The lesson a token names, read without checking its signature: only to ask the session for
 * a token for the same lesson again. The server checks whatever the page presents.
 */
export function lessonOfToken(token: string): string | undefined {
  try {
    const part = token.split('.')[1] ?? '';
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    const parsed = payloadSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    return parsed.success ? parsed.data.grant.lessonId : undefined;
  } catch {
    return undefined;
  }
}

/** Puts the page's new token in its address, so a reload opens with it rather than the old one. */
export function keepTokenInAddress(token: string): void {
  history.replaceState(null, '', `#token=${encodeURIComponent(token)}`);
}
