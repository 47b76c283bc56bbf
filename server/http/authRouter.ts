import { Router } from 'express';
import { z } from 'zod';
import { loginSchema, passwordChangeSchema, socketTokenRequestSchema } from '../auth/accountSchemas.js';
import type { AccountService } from '../auth/accountService.js';
import type { SocketTokenIssuer } from '../auth/socketTokens.js';
import { AppError } from '../errors.js';
import { requireSession } from './adminAuth.js';
import { rateLimitByIp, type IpBuckets } from './ipRateLimit.js';
import { setSessionCookie, type SessionCookie } from './sessionCookie.js';
import { parse } from './validate.js';


/** Login, logout, who am I, the account's own password, and a socket token for its lesson. */
export function authRouter(deps: {
  accounts: AccountService;
  issuer: SocketTokenIssuer;
  cookie: SessionCookie;
  loginLimit: IpBuckets;
  now?: () => number;
}): Router {
  const { accounts, issuer, cookie } = deps;
  const now = deps.now ?? Date.now;
  const r = Router();

  r.post('/login', rateLimitByIp(deps.loginLimit, 'login'), async (req, res) => {
    const { username, password } = parse(loginSchema, req.body);
    const { sessionId, account, expiresAt } = await accounts.login(username, password);
    setSessionCookie(res, cookie, sessionId, expiresAt - now());
    res.json({ account, expiresAt });
  });

  r.post('/password', rateLimitByIp(deps.loginLimit, 'login'), async (req, res) => {
    const { account, sessionId } = requireSession(req);
    const { currentPassword, newPassword } = parse(passwordChangeSchema, req.body);
    await accounts.changePassword(account.id, sessionId, currentPassword, newPassword);
    res.status(204).end();
  });

  r.post('/logout', (req, res) => {
    const { sessionId } = requireSession(req);
    accounts.logout(sessionId);
    setSessionCookie(res, cookie, '', 0);
    res.status(204).end();
  });

  r.get('/me', (req, res) => {
    parse(z.object({}).strict(), req.query);
    res.json({ account: requireSession(req).account });
  });

  /** The lessons the account can enter, so nobody has to type a lesson id. */
  r.get('/lessons', (req, res) => {
    parse(z.object({}).strict(), req.query);
    const { account } = requireSession(req);
    switch (account.role) {
      case 'teacher':
        res.json({ lessons: issuer.lessonsFor({ teacherName: account.teacherName ?? '' }) });
        return;
      case 'assistant':
        res.json({ lessons: issuer.lessonsFor({ classroomId: account.classroomId ?? '' }) });
        return;
      case 'inspector':
        res.json({ lessons: issuer.lessonsFor({ any: true }) });
        return;
      default:
        throw new AppError('FORBIDDEN', 'role admin may not join a lesson');
    }
  });

  r.post('/socket-token', async (req, res) => {
    const { account } = requireSession(req);
    const { lessonId } = parse(socketTokenRequestSchema, req.body ?? {});
    const subject = `account:${account.id}` as const;
    switch (account.role) {
      case 'teacher':
        if (!lessonId) throw new AppError('BAD_REQUEST', 'lessonId: required');
        res.json(await issuer.forTeacher(subject, account.teacherName ?? '', lessonId));
        return;
      case 'assistant':
        res.json(await issuer.forClassroom(subject, account.classroomId ?? '', lessonId));
        return;
      case 'inspector':
        res.json(await issuer.forInspector(subject, account.displayName, lessonId));
        return;
      default:
        // An administrator manages and audits; it joins no lesson.
        throw new AppError('FORBIDDEN', 'role admin may not join a lesson');
    }
  });
  return r;
}
