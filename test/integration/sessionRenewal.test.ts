import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_MAX_MS } from '../../server/auth/accountService.js';
import { cookieOf, http, loginAs } from '../helpers/http.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const HOUR = 3600_000;

/**
 * A sign-in in use runs on (TONGKE_SESSION_HOURS, 2 here): a teacher signed in at 7:30 whose
 * evening class runs past the session's length keeps working. The session's times are moved in
 * the database to stand for the hours gone by.
 */
describe('login sessions are renewed while in use', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer({ TONGKE_SESSION_HOURS: '2' });
  });
  afterAll(async () => {
    await ts?.close();
  });

  const times = () => ts.server.store.db.prepare('SELECT created_at AS createdAt, expires_at AS expiresAt FROM sessions').get() as { createdAt: number; expiresAt: number };
  const setTimes = (createdAt: number, expiresAt: number) => ts.server.store.db.prepare('UPDATE sessions SET created_at = ?, expires_at = ?').run(createdAt, expiresAt);
  const maxAgeOf = (cookie: string | null) => Number(/Max-Age=(\d+)/.exec(cookie ?? '')?.[1] ?? NaN);

  it('runs the full length again once less than half is left, and the cookie follows; not before, not past 7 days, not once expired', async () => {
    const cookie = await loginAs(ts, { username: 'li-renew', role: 'teacher', teacherName: '李老师' });
    const signedIn = times();

    // Fresh: nothing to renew, no cookie sent back.
    const early = await http(ts, 'GET', '/api/auth/me', { cookie });
    expect(early.status).toBe(200);
    expect(early.headers.get('set-cookie')).toBeNull();
    expect(times()).toEqual(signedIn);

    // 1.5 h of 2 gone: renewed to 2 h from now, in the database and in the browser.
    const now = Date.now();
    setTimes(now - 1.5 * HOUR, now + 0.5 * HOUR);
    const late = await http(ts, 'GET', '/api/auth/lessons', { cookie });
    expect(late.status).toBe(200);
    expect(cookieOf(late)).toBe(cookie);
    expect(maxAgeOf(late.headers.get('set-cookie'))).toBeGreaterThan(2 * 3600 - 60);
    expect(times().expiresAt).toBeGreaterThan(now + 2 * HOUR - 60_000);

    // Signed in nearly 7 days ago: no further than 7 days after sign-in.
    const old = Date.now();
    setTimes(old - SESSION_MAX_MS + 0.25 * HOUR, old + 0.25 * HOUR);
    expect((await http(ts, 'GET', '/api/auth/me', { cookie })).headers.get('set-cookie')).toBeNull();
    expect(times().expiresAt).toBe(old + 0.25 * HOUR);

    // Expired is expired: no renewal brings it back.
    setTimes(old - 3 * HOUR, old - 1);
    const gone = await http(ts, 'GET', '/api/auth/me', { cookie });
    expect(gone.status).toBe(401);
    expect(gone.body.error.code).toBe('UNAUTHENTICATED');
    expect(times().expiresAt).toBe(old - 1);
  });
});
