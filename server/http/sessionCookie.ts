import type { Response } from 'express';

export interface SessionCookie {
  name: string;
  /** Secure (HTTPS only) in production; the test and demo servers speak plain HTTP. */
  secure: boolean;
}

/** `__Host-` binds the cookie to our exact origin, but requires Secure: production only. */
export const sessionCookie = (production: boolean): SessionCookie => ({
  name: production ? '__Host-tongke_session' : 'tongke_session',
  secure: production,
});

/** Sets the login cookie (value '' and 0 ms clear it). */
export function setSessionCookie(res: Response, c: SessionCookie, value: string, maxAgeMs: number): void {
  const attrs = [`${c.name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${Math.max(0, Math.floor(maxAgeMs / 1000))}`];
  if (c.secure) attrs.push('Secure');
  res.setHeader('Set-Cookie', attrs.join('; '));
}
