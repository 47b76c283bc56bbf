import { io as ioClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenService } from '../../server/auth/tokens.js';
import { classroomGrant, startTestServer, teacherGrant, type TestServer } from '../helpers/server.js';

/** Connects and resolves with the refusal the server gave (or 'connected'). */
function refusal(url: string, auth: unknown): Promise<{ message: string; code?: string } | 'connected'> {
  return new Promise((resolve) => {
    const s = ioClient(url, { auth: auth as Record<string, unknown>, transports: ['websocket'], reconnection: false });
    s.once('connect', () => {
      s.disconnect();
      resolve('connected');
    });
    s.once('connect_error', (err: Error & { data?: { code?: string } }) => {
      s.disconnect();
      resolve({ message: err.message, code: err.data?.code });
    });
  });
}

describe('socket authentication', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer();
  });
  afterAll(async () => {
    await ts.close();
  });

  it('accepts a valid teacher and classroom token', async () => {
    expect(await refusal(ts.url, { token: await ts.token(teacherGrant(ts.lesson.id)) })).toBe('connected');
    expect(await refusal(ts.url, { token: await ts.token(classroomGrant(ts.lesson.id)) })).toBe('connected');
  });

  it('refuses a connection without a token, with a reason', async () => {
    expect(await refusal(ts.url, {})).toEqual({ message: 'no token: open the link you were given', code: 'UNAUTHENTICATED' });
  });

  it('refuses an expired token and says so', async () => {
    const token = await ts.server.tokens.sign(teacherGrant(ts.lesson.id), 60, Date.now() - 3600_000);
    expect(await refusal(ts.url, { token })).toEqual({ message: 'token expired: ask for a new link', code: 'UNAUTHENTICATED' });
  });

  it('refuses a token signed with another secret', async () => {
    const forged = await new TokenService('x'.repeat(40)).sign(teacherGrant(ts.lesson.id), 600);
    expect(await refusal(ts.url, { token: forged })).toMatchObject({ code: 'UNAUTHENTICATED', message: 'invalid token' });
  });

  it('refuses a tampered token', async () => {
    const token = await ts.token(classroomGrant(ts.lesson.id));
    const [h, p, sig] = token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.grant = teacherGrant(ts.lesson.id);
    const tampered = [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), sig].join('.');
    expect(await refusal(ts.url, { token: tampered })).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('refuses a classroom that is not invited to the lesson', async () => {
    ts.server.store.upsertClassroom({ id: 'other-room', schoolId: 'demo-rural-2', name: '四年级一班', kind: 'receiving' });
    const token = await ts.token(classroomGrant(ts.lesson.id, 'other-room'));
    expect(await refusal(ts.url, { token })).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses a token for a lesson that does not exist', async () => {
    const token = await ts.token(teacherGrant('no-such-lesson'));
    expect(await refusal(ts.url, { token })).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses a malformed auth object', async () => {
    expect(await refusal(ts.url, { token: 42 })).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await refusal(ts.url, { token: 'x'.repeat(5000) })).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
