import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, http, loginAs } from '../helpers/http.js';
import { ok, startTestServer, teacherGrant, type ClientSocket, type TestServer } from '../helpers/server.js';

const OLD = 'correct horse battery';
const NEW = 'a brand new passphrase';

/** Resolves with the reason the server gave when it closes this connection. */
const closed = (s: ClientSocket) => new Promise<string>((resolve) => s.once('disconnect', (reason) => resolve(reason)));

describe('withdrawing access: password reset and change, deleted accounts, revoked PCs, unlock', () => {
  let ts: TestServer;
  beforeAll(async () => {
    // Many logins from one address here; the per-IP login limit is tested elsewhere.
    ts = await startTestServer({ TONGKE_LOGIN_RATE_PER_MINUTE: '600' });
  });
  afterAll(async () => {
    await ts.close();
  });

  const accountId = async (username: string): Promise<string> => {
    const list = (await http(ts, 'GET', '/api/admin/accounts', { bearer: await adminToken(ts) })).body.accounts as { id: string; username: string }[];
    return list.find((a) => a.username === username)!.id;
  };
  const tokenFor = async (cookie: string, body: object = {}) => {
    const r = await http(ts, 'POST', '/api/auth/socket-token', { cookie, body });
    if (r.status !== 200) throw new Error(`socket-token: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.token as string;
  };

  it('an administrator’s reset ends every session and closes the lesson it holds at once; the new password works', async () => {
    const cookie = await loginAs(ts, { username: 'li', role: 'teacher', teacherName: ts.lesson.teacherName });
    const token = await tokenFor(cookie, { lessonId: ts.lesson.id });
    const socket = await ts.connect(token);
    expect((await ok(socket, 'lesson:sync', {})).viewer.role).toBe('teacher');
    // A link handed out by an administrator names no account: a reset does not touch it.
    const link = await ts.connect(teacherGrant(ts.lesson.id));
    const gone = closed(socket);

    const id = await accountId('li');
    const reset = await http(ts, 'POST', `/api/admin/accounts/${id}/password`, { bearer: await adminToken(ts), body: { password: NEW } });
    expect(reset.status).toBe(200);
    expect(JSON.stringify(reset.body)).not.toContain(NEW);
    expect(await gone).toBe('io server disconnect');
    expect(link.connected).toBe(true);

    await expect(ts.connect(token)).rejects.toMatchObject({ data: { code: 'UNAUTHENTICATED', message: 'access withdrawn (password changed or reset): sign in again' } });
    expect((await http(ts, 'GET', '/api/auth/me', { cookie })).status).toBe(401);
    expect((await http(ts, 'POST', '/api/auth/login', { body: { username: 'li', password: OLD } })).status).toBe(401);
    const again = await http(ts, 'POST', '/api/auth/login', { body: { username: 'li', password: NEW } });
    expect(again.status).toBe(200);
    const fresh = await ts.connect(await tokenFor(again.headers.get('set-cookie')!.split(';')[0]!, { lessonId: ts.lesson.id }));
    expect(fresh.connected).toBe(true);
  });

  it('the account’s own change keeps this session, ends the others and withdraws the tokens issued before', async () => {
    const here = await loginAs(ts, { username: 'zhang', role: 'assistant', classroomId: 'demo-recv-1' });
    const elsewhere = (await http(ts, 'POST', '/api/auth/login', { body: { username: 'zhang', password: OLD } })).headers.get('set-cookie')!.split(';')[0]!;
    const socket = await ts.connect(await tokenFor(elsewhere));
    const gone = closed(socket);

    const wrong = await http(ts, 'POST', '/api/auth/password', { cookie: here, body: { currentPassword: 'not it', newPassword: NEW } });
    expect(wrong.body.error).toEqual({ code: 'UNAUTHENTICATED', message: 'current password is wrong' });
    const short = await http(ts, 'POST', '/api/auth/password', { cookie: here, body: { currentPassword: OLD, newPassword: 'short' } });
    expect(short.status).toBe(400);
    expect(short.body.error.message).toMatch(/^newPassword: at least 10 characters/);
    const same = await http(ts, 'POST', '/api/auth/password', { cookie: here, body: { currentPassword: OLD, newPassword: OLD } });
    expect(same.body.error.message).toBe('newPassword: must differ from the current one');
    // None of these changed anything: both sessions still work.
    expect((await http(ts, 'GET', '/api/auth/me', { cookie: elsewhere })).status).toBe(200);
    expect(socket.connected).toBe(true);
    // A bearer token is no login session: it may not change the password.
    const bearer = await http(ts, 'POST', '/api/auth/password', { bearer: await adminToken(ts), body: { currentPassword: OLD, newPassword: NEW } });
    expect(bearer.body.error.code).toBe('FORBIDDEN');

    expect((await http(ts, 'POST', '/api/auth/password', { cookie: here, body: { currentPassword: OLD, newPassword: NEW } })).status).toBe(204);
    expect(await gone).toBe('io server disconnect');
    expect((await http(ts, 'GET', '/api/auth/me', { cookie: elsewhere })).status).toBe(401);
    expect((await http(ts, 'GET', '/api/auth/me', { cookie: here })).status).toBe(200);
    // This session's pages ask it for a new token and carry on.
    expect((await ts.connect(await tokenFor(here))).connected).toBe(true);
    expect((await http(ts, 'POST', '/api/auth/login', { body: { username: 'zhang', password: NEW } })).status).toBe(200);
  });

  it('a deleted account and a revoked classroom PC leave their lessons at once, and are refused after', async () => {
    const cookie = await loginAs(ts, { username: 'wang', role: 'inspector' });
    const watching = await ts.connect(await tokenFor(cookie), { lessonId: ts.lesson.id });
    const watcherGone = closed(watching);
    const watchToken = await tokenFor(cookie);
    expect((await http(ts, 'DELETE', `/api/admin/accounts/${await accountId('wang')}`, { bearer: await adminToken(ts) })).status).toBe(204);
    expect(await watcherGone).toBe('io server disconnect');
    await expect(ts.connect(watchToken, { lessonId: ts.lesson.id })).rejects.toMatchObject({
      data: { code: 'UNAUTHENTICATED', message: 'this account no longer exists' },
    });

    const { code } = (await http(ts, 'POST', '/api/admin/devices/enrolments', { bearer: await adminToken(ts), body: { classroomId: 'demo-recv-2' } })).body.enrolment;
    const enrolled = (await http(ts, 'POST', '/api/devices/enrol', { body: { code } })).body as { deviceId: string; credential: string };
    const issued = await http(ts, 'POST', '/api/devices/socket-token', { headers: { authorization: `Device ${enrolled.credential}` }, body: {} });
    const pc = await ts.connect(issued.body.token);
    const pcGone = closed(pc);
    expect((await http(ts, 'DELETE', `/api/admin/devices/${enrolled.deviceId}`, { bearer: await adminToken(ts) })).status).toBe(204);
    expect(await pcGone).toBe('io server disconnect');
    await expect(ts.connect(issued.body.token)).rejects.toMatchObject({
      data: { code: 'UNAUTHENTICATED', message: 'this classroom PC was revoked: enrol it again' },
    });
    // The classroom left the lesson then, not at its token's expiry.
    const left = ts.server.store.listEvents(ts.lesson.id).filter((e) => e.classroomId === 'demo-recv-2').map((e) => e.type);
    expect(left.at(-1)).toBe('classroom_left');
  });

  it('an administrator lifts a lock; bad requests change nothing', async () => {
    await loginAs(ts, { username: 'chen', role: 'teacher', teacherName: '陈老师' });
    for (let i = 0; i < 5; i++) await http(ts, 'POST', '/api/auth/login', { body: { username: 'chen', password: 'wrong password' } });
    const id = await accountId('chen');
    const admin = await adminToken(ts);
    const locked = (await http(ts, 'GET', '/api/admin/accounts', { bearer: admin })).body.accounts.find((a: { id: string }) => a.id === id);
    expect(locked.lockedUntil).toBeGreaterThan(Date.now());
    expect((await http(ts, 'POST', '/api/auth/login', { body: { username: 'chen', password: OLD } })).status).toBe(429);

    expect((await http(ts, 'POST', `/api/admin/accounts/${id}/unlock`, { bearer: admin, body: { extra: 1 } })).status).toBe(400);
    expect((await http(ts, 'POST', `/api/admin/accounts/acct-nobody/unlock`, { bearer: admin, body: {} })).status).toBe(404);
    expect((await http(ts, 'POST', `/api/admin/accounts/${id}/password`, { bearer: admin, body: { password: 'short' } })).status).toBe(400);
    expect((await http(ts, 'POST', `/api/admin/accounts/acct-nobody/password`, { bearer: admin, body: { password: NEW } })).status).toBe(404);
    const unlocked = await http(ts, 'POST', `/api/admin/accounts/${id}/unlock`, { bearer: admin, body: {} });
    expect(unlocked.body.account).toMatchObject({ id, lockedUntil: null });
    // The short password was refused: the old one is still the password.
    expect((await http(ts, 'POST', '/api/auth/login', { body: { username: 'chen', password: OLD } })).status).toBe(200);

    // Only an administrator may do either.
    const inspector = await loginAs(ts, { username: 'zhou', role: 'inspector' });
    expect((await http(ts, 'POST', `/api/admin/accounts/${id}/unlock`, { cookie: inspector, body: {} })).body.error.code).toBe('FORBIDDEN');
    expect((await http(ts, 'POST', `/api/admin/accounts/${id}/password`, { cookie: inspector, body: { password: NEW } })).body.error.code).toBe('FORBIDDEN');
  });
});
