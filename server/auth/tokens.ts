import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { grantSchema, type Grant } from '../../shared/token.js';
import { AppError } from '../errors.js';

const ISSUER = 'tongke';
const AUDIENCE = 'tongke:socket';

/**
 * Who a token was issued to, when it came from an account's login session or a classroom PC's
 * credential: an administrator can then withdraw it before it expires. A link an administrator
 * hands out names nobody and lives until it expires.
 */
export type TokenSubject = `account:${string}` | `device:${string}`;
const subjectSchema = z.custom<TokenSubject>((v) => typeof v === 'string' && /^(account|device):[A-Za-z0-9_-]{1,64}$/.test(v));

export interface VerifiedToken {
  grant: Grant;
  subject: TokenSubject | null;
  /** Milliseconds since the epoch: a withdrawal at 10:00:00.400 spares a token issued at .500. */
  issuedAt: number;
}

/** Signs and verifies the short-lived HS256 tokens that carry a socket's grants. */
export class TokenService {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  async sign(grant: Grant, ttlSeconds: number, now = Date.now(), subject?: TokenSubject): Promise<string> {
    const iat = Math.floor(now / 1000);
    // `iat` has whole seconds; `iatMs` orders a token against a withdrawal in the same second.
    const jwt = new SignJWT({ grant, iatMs: Math.floor(now) });
    if (subject) jwt.setSubject(subject);
    return jwt
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttlSeconds)
      .sign(this.key);
  }

  /** Returns the token's grant, or throws UNAUTHENTICATED with a reason a user can act on. */
  async verify(token: string): Promise<VerifiedToken> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) {
        throw new AppError('UNAUTHENTICATED', 'token expired: ask for a new link');
      }
      throw new AppError('UNAUTHENTICATED', 'invalid token');
    }
    const grant = grantSchema.safeParse(payload.grant);
    if (!grant.success) throw new AppError('UNAUTHENTICATED', 'token carries no valid grant');
    const subject = payload.sub === undefined ? null : subjectSchema.safeParse(payload.sub);
    if (subject && !subject.success) throw new AppError('UNAUTHENTICATED', 'token names no valid subject');
    const iatMs = z.number().int().nonnegative().safeParse(payload.iatMs);
    return { grant: grant.data, subject: subject ? subject.data : null, issuedAt: iatMs.success ? iatMs.data : Number(payload.iat) * 1000 };
  }
}
