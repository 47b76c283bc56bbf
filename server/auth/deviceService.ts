import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Device } from '../../shared/accounts.js';
import { AppError } from '../errors.js';
import type { Db } from '../store/db.js';
import type { Store } from '../store/types.js';
import { AccessWithdrawals } from './withdrawals.js';
import { ENROL_ALPHABET } from './accountSchemas.js';
import { randomSecret, sha256 } from './passwords.js';

export type { Device } from '../../shared/accounts.js';

interface DeviceRow {
  id: string;
  classroom_id: string;
  label: string;
  secret_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

const toDevice = (r: DeviceRow): Device => ({
  id: r.id,
  classroomId: r.classroom_id,
  label: r.label,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

const REFUSED = 'enrolment code unknown, expired or already used';

/**
 * A receiving classroom's PC: enrolled once with a short one-time code an admin hands
 * out, it keeps a long-lived credential `<deviceId>.<secret>` (revocable) and exchanges
 * it for a socket token each morning, so nobody types a password in front of the class.
 */
export class DeviceService {
  constructor(
    private readonly db: Db,
    private readonly store: Store,
    private readonly codeTtlMs: number,
    private readonly withdrawals: AccessWithdrawals = new AccessWithdrawals(db),
    private readonly now: () => number = Date.now,
  ) {}

  createEnrolment(classroomId: string, createdBy: string): { code: string; classroomId: string; expiresAt: number } {
    const room = this.store.getClassroom(classroomId);
    if (!room) throw new AppError('NOT_FOUND', 'classroomId: unknown classroom');
    if (room.kind !== 'receiving') throw new AppError('BAD_REQUEST', 'classroomId: not a receiving classroom');
    const code = Array.from({ length: 10 }, () => ENROL_ALPHABET[randomInt(ENROL_ALPHABET.length)]).join('');
    const t = this.now();
    const expiresAt = t + this.codeTtlMs;
    this.db
      .prepare('INSERT INTO device_enrolments (code_hash, classroom_id, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(sha256(code), classroomId, createdBy, t, expiresAt);
    return { code: `${code.slice(0, 5)}-${code.slice(5)}`, classroomId, expiresAt };
  }

  /** Redeems a code exactly once (one atomic UPDATE), returning the device's credential. */
  enrol(code: string, label: string): { deviceId: string; classroomId: string; credential: string } {
    const t = this.now();
    return this.db.transaction(() => {
      const row = this.db
        .prepare(
          `UPDATE device_enrolments SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?
           RETURNING classroom_id`,
        )
        .get(t, sha256(code), t) as { classroom_id: string } | undefined;
      if (!row) throw new AppError('UNAUTHENTICATED', REFUSED);
      const deviceId = `dev-${randomBytes(6).toString('hex')}`;
      const secret = randomSecret();
      this.db
        .prepare('INSERT INTO devices (id, classroom_id, label, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(deviceId, row.classroom_id, label, sha256(secret), t);
      return { deviceId, classroomId: row.classroom_id, credential: `${deviceId}.${secret}` };
    })();
  }

  /** The device a credential belongs to; unknown, malformed or revoked ones are refused alike. */
  authenticate(credential: string): Device {
    const [id, secret] = credential.split('.');
    const row = id && secret ? (this.db.prepare('SELECT * FROM devices WHERE id = ?').get(id) as DeviceRow | undefined) : undefined;
    const given = Buffer.from(sha256(secret ?? ''));
    const stored = Buffer.from(row?.secret_hash ?? '');
    const ok = row?.revoked_at === null && given.length === stored.length && timingSafeEqual(given, stored);
    if (!row || !ok) throw new AppError('UNAUTHENTICATED', 'device credential unknown or revoked: enrol the device again');
    this.db.prepare('UPDATE devices SET last_used_at = ? WHERE id = ?').run(this.now(), row.id);
    return toDevice(row);
  }

  list(): Device[] {
    return (this.db.prepare('SELECT * FROM devices ORDER BY created_at').all() as DeviceRow[]).map(toDevice);
  }

  revoke(id: string): void {
    const r = this.db.prepare('UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(this.now(), id);
    if (r.changes === 0) throw new AppError('NOT_FOUND', 'unknown or already revoked device');
    // Its socket token would last until the lesson's planned end: the PC leaves the lesson now.
    this.withdrawals.closeConnections(`device:${id}`);
  }
}
