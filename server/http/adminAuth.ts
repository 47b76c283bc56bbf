import type { RequestHandler } from 'express';
import type { Role } from '../../shared/roles.js';
import type { Grant } from '../../shared/token.js';
import { can, type Action } from '../../shared/roles.js';
import type { Account, AccountService } from '../auth/accountService.js';
import type { TokenService } from '../auth/tokens.js';
import type { AccessWithdrawals } from '../auth/withdrawals.js';
import { AppError } from '../errors.js';
import { setSessionCookie, type SessionCookie } from './sessionCookie.js';

/** Who is calling the HTTP API: an API client with a bearer token, or a logged-in account. */
export interface Principal {
  role: Role;
  name: string;
  via: 'bearer' | 'session';
  account?: Account;
  sessionId?: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
    /** Why a presented credential was refused; only routes that need a principal report it. */
    authError?: AppError;
  }
}

const nameOf = (g: Grant) => (g.role === 'assistant' ? g.classroomId : g.name);

/** Cookie header → value of one cookie (no dependency for one header). */
export function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      const v = part.slice(i + 1).trim();
      return /^[A-Za-z0-9_-]{1,128}$/.test(v) ? v : null;
    }
  }
  return null;
}

/**
 * Finds the caller: `Authorization: Bearer <jwt>` wins (API clients, the demo links);
 * otherwise the session cookie. A bad credential is remembered, not thrown, so public
 * routes (login, device enrolment) still work for a browser carrying a stale one.
 */
export function authenticate(deps: {
  tokens: TokenService;
  withdrawals: AccessWithdrawals;
  accounts: AccountService;
  cookie: SessionCookie;
}): RequestHandler {
  return (req, res, next) => {
    const header = req.headers.authorization;
    if (header !== undefined && /^Bearer\b/i.test(header)) {
      const m = /^Bearer ([A-Za-z0-9._-]{1,4096})$/.exec(header);
      if (!m?.[1]) {
        req.authError = new AppError('UNAUTHENTICATED', 'malformed bearer token');
        next();
        return;
      }
      deps.tokens
        .verify(m[1])
        .then((verified) => {
          deps.withdrawals.check(verified);
          return verified.grant;
        })
        .then(
          (grant) => {
            req.principal = { role: grant.role, name: nameOf(grant), via: 'bearer' };
            next();
          },
          (err: unknown) => {
            req.authError = err instanceof AppError ? err : new AppError('UNAUTHENTICATED', 'invalid token');
            next();
          },
        );
      return;
    }
    const sessionId = readCookie(req.headers.cookie, deps.cookie.name);
    if (sessionId) {
      const account = deps.accounts.session(sessionId);
      if (account) {
        req.principal = { role: account.role, name: account.displayName, via: 'session', account, sessionId };
        // In use: a page that works all day (a lesson that overruns, an evening class) keeps its sign-in.
        const renewed = deps.accounts.renewSession(sessionId);
        if (renewed !== null) setSessionCookie(res, deps.cookie, sessionId, renewed - Date.now());
      } else {
        req.authError = new AppError('UNAUTHENTICATED', 'session expired: log in again');
      }
    }
    next();
  };
}

function principalOf(req: Parameters<RequestHandler>[0]): Principal {
  if (req.principal) return req.principal;
  throw req.authError ?? new AppError('UNAUTHENTICATED', 'log in or send a bearer token');
}

/** Requires a caller whose role may perform `action`. */
export function requireAction(action: Action): RequestHandler {
  return (req, _res, next) => {
    const p = principalOf(req);
    if (!can(p.role, action)) throw new AppError('FORBIDDEN', `role ${p.role} may not ${action}`);
    next();
  };
}

/** Requires a logged-in account (its cookie session), not an API token. */
export function requireSession(req: Parameters<RequestHandler>[0]): Principal & { account: Account; sessionId: string } {
  const p = principalOf(req);
  if (p.via !== 'session' || !p.account || !p.sessionId) throw new AppError('FORBIDDEN', 'log in with an account');
  return p as Principal & { account: Account; sessionId: string };
}
