import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/*
 * Passwords are stored as scrypt(password, salt) with the parameters alongside, so the
 * cost can be raised later without invalidating stored hashes:
 *   scrypt$N$r$p$<salt b64url>$<hash b64url>
 * N=2^15, r=8 costs ~32 MiB and tens of milliseconds per attempt (OWASP's minimum is 2^17
 * with p=1 or 2^15 with a higher p; we pair 2^15 with the login lockout and rate limit).
 */
const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, o: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { N: o.N, r: o.r, p: o.p, maxmem: 256 * o.N * o.r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Constant-time comparison; a malformed stored hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const o = { N: Number(n), r: Number(r), p: Number(p) };
  if (![o.N, o.r, o.p].every((x) => Number.isInteger(x) && x > 0)) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), o);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash to compare against when the username is unknown, so timing does not tell. */
let dummy: Promise<string> | null = null;
export function dummyHash(): Promise<string> {
  return (dummy ??= hashPassword(randomBytes(16).toString('hex')));
}

/**
 * Session ids, device secrets and enrolment codes are random and long (or short-lived and
 * rate limited): a fast hash is enough to keep the database copy useless.
 */
export const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

export const randomSecret = () => randomBytes(32).toString('base64url');
