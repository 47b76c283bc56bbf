import { randomBytes } from 'node:crypto';
import type { Account } from '../../shared/accounts.js';
import type { Role } from '../../shared/roles.js';
import { AppError } from '../errors.js';
import type { Db } from '../store/db.js';
import type { Store } from '../store/types.js';
import type { NewAccount } from './accountSchemas.js';
import { AccessWithdrawals } from './withdrawals.js';
import { dummyHash, hashPassword, randomSecret, sha256, verifyPassword } from './passwords.js';

export type { Account } from '../../shared/accounts.js';

interface AccountRow {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  teacher_name: string | null;
  classroom_id: string | null;
  password_hash: string;
  failed_attempts: number;
  locked_until: number | null;
  created_at: number;
}

const toAccount = (r: AccountRow): Account => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  role: r.role,
  teacherName: r.teacher_name,
  classroomId: r.classroom_id,
  lockedUntil: r.locked_until,
  createdAt: r.created_at,
});

export interface AccountOptions {
  sessionMs: number;
  maxFailures: number;
  lockMs: number;
}

const WRONG = 'wrong username or password';
/** A session in use is renewed, but never past this long after sign-in: then the password again. */
export const SESSION_MAX_MS = 7 * 24 * 3600_000;

/**
 * Admin-created accounts and their login sessions. A session id lives only in the
 * browser's HttpOnly cookie; the database keeps its hash.
 */
export class AccountService {
  constructor(
    private readonly db: Db,
    private readonly store: Store,
    private readonly options: AccountOptions,
    private readonly withdrawals: AccessWithdrawals = new AccessWithdrawals(db),
    private readonly now: () => number = Date.now,
  ) {}

  async create(input: NewAccount): Promise<Account> {
    if (input.classroomId) {
      const room = this.store.getClassroom(input.classroomId);
      if (!room) throw new AppError('NOT_FOUND', 'classroomId: unknown classroom');
      if (room.kind !== 'receiving') throw new AppError('BAD_REQUEST', 'classroomId: not a receiving classroom');
    }
    const hash = await hashPassword(input.password);
    const id = `acct-${randomBytes(6).toString('hex')}`;
    try {
      this.db
        .prepare(
          `INSERT INTO accounts (id, username, display_name, role, teacher_name, classroom_id, password_hash, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(id, input.username, input.displayName, input.role, input.teacherName ?? null, input.classroomId ?? null, hash, this.now());
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new AppError('CONFLICT', 'username: already taken');
      throw err;
    }
    return this.get(id)!;
  }

  get(id: string): Account | null {
    const row = this.db.prepare('SELECT * FROM accounts WHERE id = ?').get(id) as AccountRow | undefined;
    return row ? toAccount(row) : null;
  }

  list(): Account[] {
    return (this.db.prepare('SELECT * FROM accounts ORDER BY username').all() as AccountRow[]).map(toAccount);
  }

  /** Deletes the account; its sessions go with it (ON DELETE CASCADE), and its tokens stop working. */
  remove(id: string): void {
    if (this.db.prepare('DELETE FROM accounts WHERE id = ?').run(id).changes === 0) {
      throw new AppError('NOT_FOUND', 'unknown account');
    }
    this.withdrawals.closeConnections(`account:${id}`);
  }

  /**
   * An administrator sets a new password (forgotten, or known to others): the lock goes, every
   * session ends and every token the account holds stops working, lessons open with it included.
   */
  async resetPassword(id: string, password: string): Promise<Account> {
    const hash = await hashPassword(password);
    const t = this.now();
    this.db.transaction(() => {
      const r = this.db
        .prepare('UPDATE accounts SET password_hash = ?, failed_attempts = 0, locked_until = NULL WHERE id = ?')
        .run(hash, id);
      if (r.changes === 0) throw new AppError('NOT_FOUND', 'unknown account');
      this.db.prepare('DELETE FROM sessions WHERE account_id = ?').run(id);
      this.withdrawals.refuseTokensBefore(id, t);
    })();
    this.withdrawals.closeConnections(`account:${id}`);
    return this.get(id)!;
  }

  /**
   * The account's own change: the current password must be right (a wrong one counts towards the
   * lock, as at login). Every other session ends and every token issued before stops working, so
   * whoever knew the old password is out; this session stays, and its pages ask it for new tokens.
   */
  async changePassword(id: string, sessionId: string, current: string, next: string): Promise<void> {
    const row = this.db.prepare('SELECT * FROM accounts WHERE id = ?').get(id) as AccountRow | undefined;
    if (!row) throw new AppError('UNAUTHENTICATED', 'this account no longer exists');
    await this.checkPassword(row, current, 'current password is wrong');
    if (current === next) throw new AppError('BAD_REQUEST', 'newPassword: must differ from the current one');
    const hash = await hashPassword(next);
    const t = this.now();
    this.db.transaction(() => {
      this.db.prepare('UPDATE accounts SET password_hash = ? WHERE id = ?').run(hash, id);
      this.db.prepare('DELETE FROM sessions WHERE account_id = ? AND id_hash <> ?').run(id, sha256(sessionId));
      this.withdrawals.refuseTokensBefore(id, t);
    })();
    this.withdrawals.closeConnections(`account:${id}`);
  }

  /** Lifts a lock after repeated wrong passwords (the person is known, the guesses were theirs). */
  unlock(id: string): Account {
    const r = this.db.prepare('UPDATE accounts SET failed_attempts = 0, locked_until = NULL WHERE id = ?').run(id);
    if (r.changes === 0) throw new AppError('NOT_FOUND', 'unknown account');
    return this.get(id)!;
  }

  /**
   * Checks the password and opens a session. After maxFailures wrong passwords in a row
   * the account is locked for lockMs, whatever password comes next.
   */
  async login(username: string, password: string): Promise<{ sessionId: string; account: Account; expiresAt: number }> {
    const row = this.db.prepare('SELECT * FROM accounts WHERE username = ?').get(username) as AccountRow | undefined;
    if (!row) {
      await verifyPassword(password, await dummyHash());
      throw new AppError('UNAUTHENTICATED', WRONG);
    }
    await this.checkPassword(row, password, WRONG);
    const t = this.now();
    const sessionId = randomSecret();
    const expiresAt = t + this.options.sessionMs;
    this.db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(t);
    this.db
      .prepare('INSERT INTO sessions (id_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)')
      .run(sha256(sessionId), row.id, t, expiresAt);
    return { sessionId, account: toAccount(row), expiresAt };
  }

  /**
   * Refuses a locked account whatever the password; counts a wrong password, locking the account
   * after maxFailures in a row; a right one resets the count.
   */
  private async checkPassword(row: AccountRow, password: string, wrong: string): Promise<void> {
    const t = this.now();
    if (row.locked_until !== null && row.locked_until > t) {
      throw new AppError('RATE_LIMITED', 'account locked after repeated failures: try again later');
    }
    if (!(await verifyPassword(password, row.password_hash))) {
      // Counted in SQL: two wrong guesses at once must not both read the same old count.
      const counted = this.db
        .prepare('UPDATE accounts SET failed_attempts = failed_attempts + 1 WHERE id = ? RETURNING failed_attempts')
        .get(row.id) as { failed_attempts: number } | undefined;
      const lock = (counted?.failed_attempts ?? 0) >= this.options.maxFailures;
      if (lock) this.db.prepare('UPDATE accounts SET failed_attempts = 0, locked_until = ? WHERE id = ?').run(t + this.options.lockMs, row.id);
      throw new AppError(lock ? 'RATE_LIMITED' : 'UNAUTHENTICATED', lock ? 'account locked after repeated failures: try again later' : wrong);
    }
    this.db.prepare('UPDATE accounts SET failed_attempts = 0, locked_until = NULL WHERE id = ?').run(row.id);
  }

  /** The account behind a session cookie, or null when unknown or expired. */
  session(sessionId: string): Account | null {
    const row = this.db
      .prepare(
        `SELECT a.* FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.id_hash = ? AND s.expires_at > ?`,
      )
      .get(sha256(sessionId), this.now()) as AccountRow | undefined;
    return row ? toAccount(row) : null;
  }

  /**
   * A session in use runs on: once less than half of its length (TONGKE_SESSION_HOURS) is left,
   * it runs the full length again from now, never past SESSION_MAX_MS after sign-in. Returns
   * the new expiry when it moved (the cookie must follow), otherwise null.
   */
  renewSession(sessionId: string): number | null {
    const t = this.now();
    const hash = sha256(sessionId);
    const row = this.db.prepare('SELECT created_at, expires_at FROM sessions WHERE id_hash = ? AND expires_at > ?').get(hash, t) as
      | { created_at: number; expires_at: number }
      | undefined;
    if (!row || row.expires_at - t > this.options.sessionMs / 2) return null;
    const next = Math.min(t + this.options.sessionMs, row.created_at + SESSION_MAX_MS);
    if (next <= row.expires_at) return null;
    this.db.prepare('UPDATE sessions SET expires_at = ? WHERE id_hash = ?').run(next, hash);
    return next;
  }

  logout(sessionId: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(sha256(sessionId));
  }
}
