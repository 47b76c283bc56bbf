import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, startTestServer, type TestServer } from '../helpers/server.js';
import { adminToken, cookieOf, http, loginAs } from '../helpers/http.js';

describe('accounts, login sessions and CSRF', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer();
  });
  afterAll(async () => {
    await ts.close();
  });

  it('a teacher logs in with an HttpOnly SameSite cookie, gets a socket token for its lesson, logs out', async () => {
    const admin = await adminToken(ts);
    const created = await http(ts, 'POST', '/api/admin/accounts', {
      bearer: admin,
      body: { username: 'li', displayName: '李老师', role: 'teacher', teacherName: ts.lesson.teacherName, password: 'correct horse battery' },
    });
    expect(created.body).toMatchObject({ account: { username: 'li' } });
    expect(JSON.stringify(created.body)).not.toContain('correct horse');
    const stored = ts.server.store.db.prepare('SELECT password_hash FROM accounts WHERE username = ?').pluck().get('li') as string;
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$/);

    const login = await http(ts, 'POST', '/api/auth/login', { body: { username: 'li', password: 'correct horse battery' } });
    expect(login.status).toBe(200);
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^tongke_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const cookie = cookieOf(login);
    // Only the hash of the session id is stored.
    const ids = ts.server.store.db.prepare('SELECT id_hash FROM sessions').pluck().all() as string[];
    expect(ids).not.toContain(cookie.split('=')[1]);

    expect((await http(ts, 'GET', '/api/auth/me', { cookie })).body.account).toMatchObject({ username: 'li', role: 'teacher' });
    const issued = await http(ts, 'POST', '/api/auth/socket-token', { cookie, body: { lessonId: ts.lesson.id } });
    expect(issued.status).toBe(200);
    // Expires with the planned end plus the 30-minute margin.
    expect(issued.body.expiresAt).toBeGreaterThan(ts.lesson.plannedEnd! + 29 * 60_000);
    expect(issued.body.expiresAt).toBeLessThan(ts.lesson.plannedEnd! + 31 * 60_000);
    const socket = await ts.connect(issued.body.token);
    expect((await ok(socket, 'lesson:sync', {})).viewer.role).toBe('teacher');

    // Another teacher's lesson is not this teacher's.
    const other = ts.server.store.createLesson(
      { id: 'lesson-b', title: 'B', subject: '语文', teacherName: '王老师', lectureClassroomId: 'demo-lecture', receivingClassroomIds: ['demo-recv-2'] },
      Date.now(),
    );
    expect((await http(ts, 'POST', '/api/auth/socket-token', { cookie, body: { lessonId: other.id } })).body.error.code).toBe('FORBIDDEN');

    expect((await http(ts, 'POST', '/api/auth/logout', { cookie })).status).toBe(204);
    expect((await http(ts, 'GET', '/api/auth/me', { cookie })).body.error.code).toBe('UNAUTHENTICATED');
  });

  it('an assistant gets a token for its classroom’s current lesson only', async () => {
    const cookie = await loginAs(ts, { username: 'zhang', role: 'assistant', classroomId: 'demo-recv-1' });
    const issued = await http(ts, 'POST', '/api/auth/socket-token', { cookie, body: {} });
    expect(issued.body.lessonId).toBe(ts.lesson.id);
    expect((await http(ts, 'POST', '/api/auth/socket-token', { cookie, body: { lessonId: 'lesson-b' } })).body.error.code).toBe('FORBIDDEN');
  });

  it('locks an account after 5 wrong passwords, whatever comes next', async () => {
    await loginAs(ts, { username: 'locked', role: 'inspector' }, 'the right password');
    for (let i = 0; i < 4; i++) {
      const r = await http(ts, 'POST', '/api/auth/login', { body: { username: 'locked', password: 'wrong password' } });
      expect(r.body.error).toEqual({ code: 'UNAUTHENTICATED', message: 'wrong username or password' });
    }
    expect((await http(ts, 'POST', '/api/auth/login', { body: { username: 'locked', password: 'wrong password' } })).status).toBe(429);
    const right = await http(ts, 'POST', '/api/auth/login', { body: { username: 'locked', password: 'the right password' } });
    expect(right.body.error.code).toBe('RATE_LIMITED');
    expect(right.headers.get('set-cookie')).toBeNull();
    // An unknown user gets the same answer as a wrong password.
    expect((await http(ts, 'POST', '/api/auth/login', { body: { username: 'nobody', password: 'x' } })).body.error.message).toBe(
      'wrong username or password',
    );
  });

  it('refuses a cookie-authenticated write from another origin or with no origin (CSRF)', async () => {
    const cookie = await loginAs(ts, { username: 'boss', role: 'admin' });
    const body = { id: 'csrf-community', name: 'X', type: 'alliance' };
    const evil = await http(ts, 'POST', '/api/admin/communities', { cookie, body, origin: 'https://evil.example' });
    expect(evil.body.error).toEqual({ code: 'FORBIDDEN', message: 'cross-site request refused' });
    const none = await http(ts, 'POST', '/api/admin/communities', { cookie, body, origin: null });
    expect(none.body.error.code).toBe('FORBIDDEN');
    expect(ts.server.store.getCommunity('csrf-community')).toBeNull();
    const same = await http(ts, 'POST', '/api/admin/communities', { cookie, body });
    expect(same.status).toBe(201);
    // A bearer client needs no Origin: it carries no ambient credential.
    const bearer = await http(ts, 'POST', '/api/admin/communities', { bearer: await adminToken(ts), body: { ...body, id: 'c2' }, origin: null });
    expect(bearer.status).toBe(201);
  });

  it('validates account bodies with zod', async () => {
    const admin = await adminToken(ts);
    const bad = await http(ts, 'POST', '/api/admin/accounts', { bearer: admin, body: { username: 'a b', displayName: 'x', role: 'assistant', password: 'short' } });
    expect(bad.status).toBe(400);
    const noScope = await http(ts, 'POST', '/api/admin/accounts', { bearer: admin, body: { username: 'ab1', displayName: 'x', role: 'assistant', password: 'long enough pw' } });
    expect(noScope.body.error.message).toMatch(/^classroomId/);
  });
});

describe('classroom device enrolment', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer();
  });
  afterAll(async () => {
    await ts.close();
  });

  const enrolment = async () =>
    (await http(ts, 'POST', '/api/admin/devices/enrolments', { bearer: await adminToken(ts), body: { classroomId: 'demo-recv-3' } })).body
      .enrolment as { code: string; expiresAt: number };

  it('redeems a one-time code once for a credential that buys socket tokens for the classroom', async () => {
    const { code } = await enrolment();
    expect(code).toMatch(/^[A-Z2-9]{5}-[A-Z2-9]{5}$/);
    const enrolled = await http(ts, 'POST', '/api/devices/enrol', { body: { code: code.toLowerCase(), label: '教室电脑' } });
    expect(enrolled.status).toBe(201);
    expect(enrolled.body.classroomId).toBe('demo-recv-3');
    const credential = enrolled.body.credential as string;

    const replay = await http(ts, 'POST', '/api/devices/enrol', { body: { code } });
    expect(replay.body.error).toEqual({ code: 'UNAUTHENTICATED', message: 'enrolment code unknown, expired or already used' });

    const device = { authorization: `Device ${credential}` };
    const issued = await http(ts, 'POST', '/api/devices/socket-token', { headers: device, body: {} });
    expect(issued.body).toMatchObject({ classroomId: 'demo-recv-3', lessonId: ts.lesson.id });
    const socket = await ts.connect(issued.body.token);
    expect((await ok(socket, 'lesson:sync', {})).viewer.classroomId).toBe('demo-recv-3');

    // Revoked by an admin: refused from then on.
    const devices = (await http(ts, 'GET', '/api/admin/devices', { bearer: await adminToken(ts) })).body.devices;
    expect(devices).toHaveLength(1);
    expect(JSON.stringify(devices)).not.toContain(credential.split('.')[1]);
    expect((await http(ts, 'DELETE', `/api/admin/devices/${enrolled.body.deviceId}`, { bearer: await adminToken(ts) })).status).toBe(204);
    expect((await http(ts, 'POST', '/api/devices/socket-token', { headers: device, body: {} })).body.error.code).toBe('UNAUTHENTICATED');
  });

  it('refuses an expired code, a forged credential, and a lesson the classroom is not in', async () => {
    const { code } = await enrolment();
    ts.server.store.db.prepare('UPDATE device_enrolments SET expires_at = 0').run();
    expect((await http(ts, 'POST', '/api/devices/enrol', { body: { code } })).body.error.code).toBe('UNAUTHENTICATED');

    const fresh = await enrolment();
    const { credential, deviceId } = (await http(ts, 'POST', '/api/devices/enrol', { body: { code: fresh.code } })).body;
    const forged = `${deviceId}.${'A'.repeat(43)}`;
    expect((await http(ts, 'POST', '/api/devices/socket-token', { headers: { authorization: `Device ${forged}` }, body: {} })).status).toBe(401);

    ts.server.store.createLesson(
      { id: 'lesson-elsewhere', title: 'B', subject: '语文', teacherName: '王老师', lectureClassroomId: 'demo-lecture', receivingClassroomIds: ['demo-recv-1'] },
      Date.now(),
    );
    const wrong = await http(ts, 'POST', '/api/devices/socket-token', {
      headers: { authorization: `Device ${credential}` },
      body: { lessonId: 'lesson-elsewhere' },
    });
    expect(wrong.body.error.code).toBe('FORBIDDEN');
  });
});

describe('rate limits and production headers', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer({
      NODE_ENV: 'production',
      TONGKE_LOGIN_RATE_PER_MINUTE: '3',
      TONGKE_HANDSHAKE_RATE_PER_SECOND: '0.1',
      TONGKE_HANDSHAKE_RATE_BURST: '2',
      TONGKE_HTTP_RATE_PER_SECOND: '0.1',
      TONGKE_HTTP_RATE_BURST: '20',
    });
  });
  afterAll(async () => {
    await ts.close();
  });

  it('sends HSTS in production', async () => {
    const res = await fetch(`${ts.url}/healthz`);
    expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  });

  it('limits login attempts per IP', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await http(ts, 'POST', '/api/auth/login', { body: { username: 'x', password: 'y' } })).status);
    expect(codes).toEqual([401, 401, 401, 429, 429]);
  });

  it('limits Socket.IO handshakes per IP', async () => {
    const grant = { role: 'assistant' as const, lessonId: ts.lesson.id, classroomId: 'demo-recv-1' };
    await ts.connect(grant);
    await ts.connect(grant);
    await expect(ts.connect(grant)).rejects.toMatchObject({ data: { code: 'RATE_LIMITED' } });
  });

  it('limits the whole API per IP', async () => {
    const statuses = await Promise.all(Array.from({ length: 25 }, () => fetch(`${ts.url}/api/admin/lessons`).then((r) => r.status)));
    expect(statuses).toContain(429);
  });
});
