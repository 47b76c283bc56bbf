import type { LessonState } from '../../shared/lesson.js';
import { byId, el } from '../lib/dom.js';
import { withFeedback } from '../lib/feedback.js';
import { formatClock, t, type Key } from '../lib/i18n.js';
import { request, type TongkeSocket } from '../lib/socket.js';

const ACTIONS: [resolution: 'answered' | 'deferred' | 'dismissed', label: Key][] = [
  ['answered', 'answered'],
  ['deferred', 'defer'],
  ['dismissed', 'dismiss'],
];

/** The question queue in the order to take it; question text is shown as text only. */
export function questionsPanel(socket: TongkeSocket, message: HTMLElement) {
  const list = byId('questions');
  return (s: LessonState) => {
    const names = new Map(s.classrooms.map((c) => [c.classroomId, `${c.schoolName} ${c.name}`]));
    byId('question-count').textContent = s.questions.length ? `(${s.questions.length})` : '';
    if (s.questions.length === 0) {
      list.replaceChildren(el('li', { className: 'hint', text: t('noQuestions') }));
      return;
    }
    list.replaceChildren(
      ...s.questions.map((q) => {
        const buttons = ACTIONS.map(([resolution, label]) => {
          const b = el('button', { className: 'small', text: t(label) });
          b.type = 'button';
          b.addEventListener('click', () => {
            void withFeedback(b, message, () => request(socket, 'question:resolve', { questionId: q.questionId, resolution }));
          });
          return b;
        });
        return el('li', { dataset: { question: q.questionId } }, [
          el('span', { className: 'qmeta', text: `${names.get(q.classroomId) ?? q.classroomId} · ${formatClock(q.raisedAt)}` }),
          q.deferred ? el('span', { className: 'tag', text: t('deferredTag') }) : null,
          q.text ? el('span', { className: 'qtext', text: q.text }) : null,
          el('div', { className: 'row' }, buttons),
        ]);
      }),
    );
  };
}
