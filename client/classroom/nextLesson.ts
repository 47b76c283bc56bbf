import type { LessonState } from '../../shared/lesson.js';
import { keepTokenInAddress, tokenFromSession } from '../lib/sessionToken.js';
import { presentToken, type TongkeSocket } from '../lib/socket.js';

/** How soon after its lesson ends the classroom PC first looks for the next one, then how often. */
export const FIRST_LOOK_MS = 5_000;
export const LOOK_EVERY_MS = 30_000;

/**
 * A classroom PC is switched on in the morning and left on all day. Once its lesson has ended
 * it moves on to the classroom's next lesson by itself, with no reload: `nextLesson` (the device
 * credential, or an assistant's login session) is asked for a token for the classroom's
 * live-or-next lesson, and when that names another lesson the socket reconnects with it. Staying in the page keeps the sound the assistant
 * enabled once (a reload would need another click for the browser to play sound).
 *
 * Returns what to call with every lesson state.
 */
export function followTimetable(opts: {
  socket: TongkeSocket;
  /** True once a token for another lesson than `lessonId` is held (false: none yet). */
  nextLesson: (lessonId: string) => Promise<boolean>;
}): (s: LessonState) => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let watching: string | null = null;

  const look = (lessonId: string, delay: number) => {
    timer = setTimeout(() => {
      timer = null;
      opts.nextLesson(lessonId).then(
        (moved) => {
          if (watching !== lessonId) return;
          if (!moved) return look(lessonId, LOOK_EVERY_MS);
          watching = null;
          // `nextLesson` left the new token where the next connection takes it from.
          opts.socket.disconnect().connect();
        },
        (err: unknown) => {
          console.warn('looking for the next lesson failed', err);
          if (watching === lessonId) look(lessonId, LOOK_EVERY_MS);
        },
      );
    }, delay);
  };

  return (s) => {
    if (s.status !== 'ended') {
      if (timer) clearTimeout(timer);
      timer = null;
      watching = null;
      return;
    }
    if (watching === s.lessonId) return;
    if (timer) clearTimeout(timer);
    watching = s.lessonId;
    look(s.lessonId, FIRST_LOOK_MS);
  };
}

/**
 * The same for a page an assistant reached by signing in: its login session is asked for the
 * classroom's live-or-next lesson, as a device credential is. A page opened from a shared link
 * has no session; it is refused and stays where it is.
 */
export async function nextLessonBySession(socket: TongkeSocket, lessonId: string): Promise<boolean> {
  // Null: no session (a shared link), not an assistant, or no lesson to move to yet.
  const issued = await tokenFromSession();
  if (issued === null || issued.lessonId === null || issued.lessonId === lessonId) return false;
  presentToken(socket, issued.token);
  keepTokenInAddress(issued.token);
  return true;
}
