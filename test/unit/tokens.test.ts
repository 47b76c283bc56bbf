import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { TokenService } from '../../server/auth/tokens.js';
import { AppError } from '../../server/errors.js';

const secret = 'a'.repeat(32);

describe('TokenService', () => {
  const tokens = new TokenService(secret);

  it('round-trips each kind of grant', async () => {
    for (const grant of [
      { role: 'teacher', lessonId: 'l1', name: '李老师' },
      { role: 'assistant', lessonId: 'l1', classroomId: 'c1' },
      { role: 'admin', name: 'a' },
    ] as const) {
      expect((await tokens.verify(await tokens.sign(grant, 60))).grant).toEqual(grant);
    }
  });

  it('names the account or device it was issued to, and when to the millisecond', async () => {
    const at = Date.now() - 1234;
    const grant = { role: 'assistant', lessonId: 'l1', classroomId: 'c1' } as const;
    expect(await tokens.verify(await tokens.sign(grant, 60, at, 'device:dev-1a2b'))).toEqual({ grant, subject: 'device:dev-1a2b', issuedAt: at });
    // A link an administrator hands out names nobody.
    expect(await tokens.verify(await tokens.sign(grant, 60, at))).toMatchObject({ subject: null, issuedAt: at });
    const odd = await new SignJWT({ grant }).setProtectedHeader({ alg: 'HS256' }).setIssuer('tongke').setAudience('tongke:socket')
      .setIssuedAt().setExpirationTime('1m').setSubject('someone else').sign(new TextEncoder().encode(secret));
    await expect(tokens.verify(odd)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'token names no valid subject' });
  });

  it('refuses expired, forged and junk tokens as UNAUTHENTICATED', async () => {
    const expired = await tokens.sign({ role: 'admin', name: 'a' }, 10, Date.now() - 60_000);
    await expect(tokens.verify(expired)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: /expired/ });
    const forged = await new TokenService('b'.repeat(32)).sign({ role: 'admin', name: 'a' }, 60);
    await expect(tokens.verify(forged)).rejects.toBeInstanceOf(AppError);
    await expect(tokens.verify('not.a.token')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('refuses a validly signed token whose grant has the wrong shape', async () => {
    // e.g. an assistant grant without its classroom: minimal grants are all-or-nothing.
    const bad = await tokens.sign({ role: 'assistant', lessonId: 'l1' } as never, 60);
    await expect(tokens.verify(bad)).rejects.toMatchObject({ message: 'token carries no valid grant' });
  });
});
