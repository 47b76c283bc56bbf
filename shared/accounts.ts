import type { Role } from './roles.js';

/**
 * Accounts and classroom devices as the API shows them (never a hash); the server and the
 * admin page share these definitions.
 */
export interface Account {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  /** teacher: runs the lessons carrying this name. */
  teacherName: string | null;
  /** assistant: acts for this receiving classroom. */
  classroomId: string | null;
  lockedUntil: number | null;
  createdAt: number;
}

export interface Device {
  id: string;
  classroomId: string;
  label: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}
