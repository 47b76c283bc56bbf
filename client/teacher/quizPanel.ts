import type { LessonState } from '../../shared/lesson.js';
import { LIMITS, OPTION_LABELS } from '../../shared/limits.js';
import { byId, el } from '../lib/dom.js';
import { withFeedback } from '../lib/feedback.js';
import { t } from '../lib/i18n.js';
import { countInputs, percent, quizResults } from '../lib/quizView.js';
import { request, type TongkeSocket } from '../lib/socket.js';

/** Publish a quiz to every classroom at once; watch answers arrive; close it. */
export function quizPanel(socket: TongkeSocket) {
  const form = byId('quiz-form');
  const live = byId('quiz-live');
  const question = byId<HTMLTextAreaElement>('quiz-question');
  const options = byId<HTMLSelectElement>('quiz-options');
  const correct = byId<HTMLSelectElement>('quiz-correct');
  const publish = byId<HTMLButtonElement>('quiz-publish');
  const closeBtn = byId<HTMLButtonElement>('quiz-close');
  const message = byId('quiz-message');
  const lectureAnswer = byId('lecture-answer');
  let current: LessonState | null = null;
  let lectureKey = '';

  const fillCorrect = () => {
    const n = Number(options.value);
    const keep = correct.value;
    correct.replaceChildren(
      el('option', { text: t('quizNoCorrect') }),
      ...OPTION_LABELS.slice(0, n).map((label) => el('option', { text: label })),
    );
    [...correct.options].forEach((o, i) => (o.value = i === 0 ? '' : String(i - 1)));
    correct.value = Number(keep) < n ? keep : '';
  };
  options.replaceChildren(
    ...Array.from({ length: LIMITS.quizMaxOptions - LIMITS.quizMinOptions + 1 }, (_, i) => {
      const o = el('option', { text: String(i + LIMITS.quizMinOptions) });
      o.value = String(i + LIMITS.quizMinOptions);
      return o;
    }),
  );
  options.value = '4';
  options.addEventListener('change', fillCorrect);
  fillCorrect();

  publish.addEventListener('click', () => {
    const q = question.value.trim();
    void withFeedback(publish, message, async () => {
      await request(socket, 'quiz:open', {
        options: Number(options.value),
        ...(q ? { question: q } : {}),
        ...(correct.value !== '' ? { correctOption: Number(correct.value) } : {}),
      });
      question.value = '';
    });
  });
  closeBtn.addEventListener('click', () => {
    const quiz = current?.quiz;
    if (quiz) void withFeedback(closeBtn, message, () => request(socket, 'quiz:close', { quizId: quiz.quizId }));
  });

  return (s: LessonState) => {
    current = s;
    const quiz = s.quiz;
    const open = quiz?.status === 'open';
    form.hidden = open;
    publish.disabled = s.status !== 'live';
    live.hidden = !quiz;
    if (!quiz) return;
    byId('quiz-live-question').textContent = `${open ? t('quizOpen') : t('quizClosed')}${quiz.question ? ` · ${quiz.question}` : ''}`;
    byId('quiz-results').replaceChildren(quizResults(quiz));
    closeBtn.hidden = !open;
    const names = new Map(s.classrooms.map((c) => [c.classroomId, `${c.schoolName} ${c.name}`]));
    names.set(s.lectureClassroom.classroomId, s.lectureClassroom.name);
    byId('quiz-table').replaceChildren(
      el('table', { className: 'answers' }, [
        el('thead', {}, [
          el('tr', {}, [el('th'), ...OPTION_LABELS.slice(0, quiz.options).map((l) => el('th', { text: l })), el('th', { text: t('correctRate') })]),
        ]),
        el(
          'tbody',
          {},
          quiz.answers.map((a) => {
            const sum = a.counts.reduce((x, y) => x + y, 0);
            const rate = quiz.correctOption === null || sum === 0 ? null : (a.counts[quiz.correctOption] ?? 0) / sum;
            return el('tr', {}, [
              el('td', { text: names.get(a.classroomId) ?? a.classroomId }),
              ...a.counts.map((n) => el('td', { className: 'num', text: String(n) })),
              el('td', { className: 'num', text: percent(rate) }),
            ]);
          }),
        ),
      ]),
    );
    // The lecture classroom's own answers (the city side), rebuilt only when needed.
    const present = s.lectureClassroom.attendance?.present ?? null;
    const key = `${quiz.quizId}:${quiz.status}:${present}`;
    if (key !== lectureKey) {
      lectureKey = key;
      if (!open) lectureAnswer.replaceChildren();
      else if (present === null) lectureAnswer.replaceChildren(el('p', { className: 'hint', text: t('quizNeedAttendance') }));
      else {
        const own = quiz.answers.find((a) => a.classroomId === s.lectureClassroom.classroomId)?.counts ?? null;
        const inputs = countInputs(quiz.options, own, present);
        const submit = el('button', { className: 'small on', text: t('quizSubmit') });
        submit.type = 'button';
        submit.addEventListener('click', () => {
          void withFeedback(submit, message, () => request(socket, 'quiz:answer', { quizId: quiz.quizId, counts: inputs.values() }), 'quizSubmitted');
        });
        lectureAnswer.replaceChildren(inputs.node, submit);
      }
    }
  };
}
