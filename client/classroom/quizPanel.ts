import type { LessonState } from '../../shared/lesson.js';
import { byId, el } from '../lib/dom.js';
import { withFeedback } from '../lib/feedback.js';
import { t } from '../lib/i18n.js';
import { countInputs, quizResults } from '../lib/quizView.js';
import { request, type TongkeSocket } from '../lib/socket.js';

/** The assistant reports how many pupils chose each option; results show after closing. */
export function quizPanel(socket: TongkeSocket) {
  const panel = byId('quiz-panel');
  const status = byId('quiz-status');
  const question = byId('quiz-question');
  const body = byId('quiz-body');
  const message = byId('quiz-message');
  let shownFor = '';

  return (s: LessonState) => {
    const quiz = s.quiz;
    panel.hidden = !quiz;
    if (!quiz) return;
    status.textContent = quiz.status === 'open' ? t('quizOpen') : t('quizClosed');
    byId('quiz-hint').hidden = quiz.status !== 'open';
    question.textContent = quiz.question ?? '';
    const present = s.classrooms.find((c) => c.classroomId === s.viewer.classroomId)?.attendance?.present ?? null;
    // Rebuild only when the quiz, its status or our attendance changes, not on every state.
    const key = `${quiz.quizId}:${quiz.status}:${present}`;
    if (key === shownFor) return;
    shownFor = key;
    message.textContent = '';
    if (quiz.status === 'closed') {
      body.replaceChildren(quizResults(quiz));
      return;
    }
    if (present === null) {
      body.replaceChildren(el('p', { className: 'message', text: t('quizNeedAttendance') }));
      return;
    }
    const own = quiz.answers.find((a) => a.classroomId === s.viewer.classroomId)?.counts ?? null;
    const inputs = countInputs(quiz.options, own, present);
    const submit = el('button', { className: 'primary', text: t('quizSubmit') });
    submit.type = 'button';
    submit.addEventListener('click', () => {
      void withFeedback(
        submit,
        message,
        () => request(socket, 'quiz:answer', { quizId: quiz.quizId, counts: inputs.values() }),
        'quizSubmitted',
      );
    });
    body.replaceChildren(inputs.node, el('div', { className: 'controls' }, [submit]));
  };
}
