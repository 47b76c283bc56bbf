import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/events.js';
import type { Grant } from '../../shared/token.js';
import type { TokenSubject } from '../auth/tokens.js';

/** What the auth middleware stores on each socket: its verified grant and the peer it speaks for. */
export interface SocketData {
  grant: Grant;
  /** The media peer: outlives this socket when the page comes back with its session key. */
  peerId: string;
  /** The account or classroom PC the token was issued to (null: a link naming nobody). */
  subject: TokenSubject | null;
}

export type TongkeIo = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type TongkeSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export const lessonRoom = (lessonId: string) => `lesson:${lessonId}`;
/** Every connection holding a token issued to one account or device: closed together on a withdrawal. */
export const subjectRoom = (subject: TokenSubject) => `subject:${subject}`;
export const teacherRoom = (lessonId: string) => `lesson:${lessonId}:teacher`;
