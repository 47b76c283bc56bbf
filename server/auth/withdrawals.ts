import { EventEmitter } from 'node:events';
import { AppError } from '../errors.js';
import type { Db } from '../store/db.js';
import type { TokenSubject, VerifiedToken } from './tokens.js';

/**
 * Tokens outlive the moment an administrator takes access away: a socket token lasts until its
 * lesson's planned end. Without this, a deleted account, a reset password or a revoked
 * classroom PC kept its lesson until then. Every token issued to an account or a device names
 * it (its subject); each use is checked against the database here (one indexed row), and the
 * connections already open are told to go (`withdrawn`, which the realtime layer acts on).
 */
export class AccessWithdrawals extends EventEmitter<{ withdrawn: [subject: TokenSubject] }> {
  constructor(private readonly db: Db) {
    super();
  }

  /** Throws UNAUTHENTICATED when the token's account or device no longer holds the access it grants. */
  check(token: VerifiedToken): void {
    const { subject, issuedAt } = token;
    if (subject === null) return;
    const [kind, id] = subject.split(':') as ['account' | 'device', string];
    if (kind === 'account') {
      const row = this.db.prepare('SELECT tokens_valid_after AS after FROM accounts WHERE id = ?').get(id) as
        | { after: number | null }
        | undefined;
      if (!row) throw new AppError('UNAUTHENTICATED', 'this account no longer exists');
      if (row.after !== null && issuedAt <= row.after) {
        throw new AppError('UNAUTHENTICATED', 'access withdrawn (password changed or reset): sign in again');
      }
      return;
    }
    const row = this.db.prepare('SELECT revoked_at AS revoked FROM devices WHERE id = ?').get(id) as { revoked: number | null } | undefined;
    if (!row || row.revoked !== null) throw new AppError('UNAUTHENTICATED', 'this classroom PC was revoked: enrol it again');
  }

  /**
   * Every token the account holds now stops working from the next use on (part of the caller's
   * transaction); `closeConnections` then ends the ones in use.
   */
  refuseTokensBefore(accountId: string, now: number): void {
    this.db.prepare('UPDATE accounts SET tokens_valid_after = ? WHERE id = ?').run(now, accountId);
  }

  /**
   * Closes the open connections of an account or device the database now refuses (deleted,
   * reset, revoked): once the change is committed, so that the pages knocking again are refused.
   */
  closeConnections(subject: TokenSubject): void {
    this.emit('withdrawn', subject);
  }
}
