import type { LessonState } from '../../shared/lesson.js';
import { byId, el } from '../lib/dom.js';
import { withFeedback } from '../lib/feedback.js';
import { t } from '../lib/i18n.js';
import { request, type TongkeSocket } from '../lib/socket.js';

/** Raise the classroom's hand with an optional question; see the queue live. */
export function handPanel(socket: TongkeSocket) {
  const text = byId<HTMLTextAreaElement>('question-text');
  const raise = byId<HTMLButtonElement>('raise');
  const withdraw = byId<HTMLButtonElement>('withdraw');
  const position = byId('position');
  const message = byId('hand-message');
  const queue = byId('queue');
  let mine: string | null = null;

  raise.addEventListener('click', () => {
    const value = text.value.trim();
    void withFeedback(raise, message, async () => {
      await request(socket, 'question:raise', value ? { text: value } : {});
      text.value = '';
    });
  });
  withdraw.addEventListener('click', () => {
    if (!mine) return;
    const questionId = mine;
    void withFeedback(withdraw, message, () => request(socket, 'question:withdraw', { questionId }));
  });

  return (s: LessonState) => {
    const names = new Map(s.classrooms.map((c) => [c.classroomId, `${c.schoolName} ${c.name}`]));
    const index = s.questions.findIndex((q) => q.classroomId === s.viewer.classroomId);
    mine = index >= 0 ? s.questions[index]!.questionId : null;
    raise.hidden = mine !== null;
    raise.disabled = s.status !== 'live';
    withdraw.hidden = mine === null;
    position.textContent = mine ? `${t('yourPosition')}${index + 1}${t('positionSuffix')}` : '';
    queue.replaceChildren(
      ...(s.questions.length === 0
        ? [el('li', { className: 'hint', text: t('noQuestions') })]
        : s.questions.map((q) =>
            el('li', { dataset: { mine: String(q.classroomId === s.viewer.classroomId) } }, [
              el('span', { className: 'qmeta', text: names.get(q.classroomId) ?? q.classroomId }),
              q.deferred ? el('span', { className: 'tag', text: t('deferredTag') }) : null,
              q.text ? el('span', { className: 'qtext', text: q.text }) : null,
            ]),
          )),
    );
  };
}
