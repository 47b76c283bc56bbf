import type { Attendance } from '../../shared/coordination.js';
import type { LessonState } from '../../shared/lesson.js';
import { byId } from './dom.js';
import { withFeedback } from './feedback.js';
import { t } from './i18n.js';
import { request, type TongkeSocket } from './socket.js';

/**
 * 应到/实到 inputs for the classroom the user acts for (a receiving classroom's assistant,
 * or the teacher for the lecture classroom): reported once, correctable during the lesson.
 */
export function attendanceForm(
  socket: TongkeSocket,
  ids: { expected: string; present: string; submit: string; message: string },
  current: (s: LessonState) => Attendance | null,
) {
  const expected = byId<HTMLInputElement>(ids.expected);
  const present = byId<HTMLInputElement>(ids.present);
  const submit = byId<HTMLButtonElement>(ids.submit);
  const message = byId(ids.message);
  submit.addEventListener('click', () => {
    void withFeedback(
      submit,
      message,
      () => request(socket, 'attendance:report', { expected: Number(expected.value), present: Number(present.value) }),
      'attendanceSaved',
    );
  });
  return (s: LessonState) => {
    const a = current(s);
    submit.textContent = a ? t('correct') : t('submit');
    // Show what the server has, unless the user is typing.
    if (a && document.activeElement !== expected && document.activeElement !== present) {
      expected.value = String(a.expected);
      present.value = String(a.present);
    }
    submit.disabled = s.status === 'ended';
  };
}
