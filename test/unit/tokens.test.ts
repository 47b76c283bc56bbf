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
      expect(await tokens.verify(await tokens.sign(grant, 60))).toEqual(grant);
    }
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
