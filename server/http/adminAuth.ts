import type { RequestHandler } from 'express';
import type { Grant } from '../../shared/token.js';
import { can, type Action } from '../../shared/roles.js';
import type { TokenService } from '../auth/tokens.js';
import { AppError } from '../errors.js';

declare module 'express-serve-static-core' {
  interface Request {
    grant?: Grant;
  }
}

/** Requires a bearer token whose role may perform `action`. */
export function requireGrant(tokens: TokenService, action: Action): RequestHandler {
  return (req, _res, next) => {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer ([A-Za-z0-9._-]{1,4096})$/.exec(header);
    if (!m?.[1]) {
      next(new AppError('UNAUTHENTICATED', 'missing bearer token'));
      return;
    }
    tokens
      .verify(m[1])
      .then((grant) => {
        if (!can(grant.role, action)) throw new AppError('FORBIDDEN', `role ${grant.role} may not ${action}`);
        req.grant = grant;
      })
      .then(() => next(), next);
  };
}
