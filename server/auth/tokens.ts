import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { grantSchema, type Grant } from '../../shared/token.js';
import { AppError } from '../errors.js';

const ISSUER = 'tongke';
const AUDIENCE = 'tongke:socket';

/** Signs and verifies the short-lived HS256 tokens that carry a socket's grants. */
export class TokenService {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  async sign(grant: Grant, ttlSeconds: number, now = Date.now()): Promise<string> {
    const iat = Math.floor(now / 1000);
    return new SignJWT({ grant })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttlSeconds)
      .sign(this.key);
  }

  /** Returns the token's grant, or throws UNAUTHENTICATED with a reason a user can act on. */
  async verify(token: string): Promise<Grant> {
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
    return grant.data;
  }
}
