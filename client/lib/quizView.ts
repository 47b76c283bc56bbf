import type { QuizState } from '../../shared/coordination.js';
import { OPTION_LABELS } from '../../shared/limits.js';
import { el } from './dom.js';
import { t } from './i18n.js';

type Side = QuizState['total'];

export const percent = (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 100)}%`);

/** One distribution as horizontal bars; the correct option is marked. */
export function distribution(title: string, side: Side, correctOption: number | null): HTMLElement {
  const max = Math.max(1, ...side.counts);
  return el('div', { className: 'dist' }, [
    el('div', { className: 'dist-head' }, [
      el('strong', { text: title }),
      el('span', { text: `${t('answeredPupils')} ${side.answered} · ${t('correctRate')} ${percent(side.correctRate)}` }),
    ]),
    ...side.counts.map((n, i) =>
      el('div', { className: 'bar-row', dataset: { correct: String(i === correctOption) } }, [
        el('span', { className: 'bar-label', text: OPTION_LABELS[i] ?? String(i + 1) }),
        el('span', { className: 'bar-track' }, [
          el('span', { className: `bar-fill w${Math.round((n / max) * 20) * 5}` }),
        ]),
        el('span', { className: 'bar-num', text: String(n) }),
      ]),
    ),
  ]);
}

/** Results as the teacher (or everyone after closing) sees them: total, city and rural. */
export function quizResults(quiz: QuizState): HTMLElement {
  return el('div', { className: 'quiz-results' }, [
    distribution(t('total'), quiz.total, quiz.correctOption),
    el('div', { className: 'side-by-side' }, [
      distribution(t('city'), quiz.city, quiz.correctOption),
      distribution(t('rural'), quiz.rural, quiz.correctOption),
    ]),
  ]);
}

/** Number inputs, one per option, with a running total against the present count. */
export function countInputs(options: number, initial: number[] | null, present: number | null) {
  const inputs = Array.from({ length: options }, (_, i) => {
    const input = el('input', { className: 'count' });
    input.type = 'number';
    input.min = '0';
    input.max = String(present ?? 500);
    input.value = String(initial?.[i] ?? 0);
    input.setAttribute('aria-label', OPTION_LABELS[i] ?? String(i + 1));
    return input;
  });
  const sum = el('span', { className: 'sum' });
  const update = () => {
    const total = inputs.reduce((a, i) => a + (Number(i.value) || 0), 0);
    sum.textContent = `${t('quizSum')} ${total}${present !== null ? ` / ${present}` : ''}`;
    sum.dataset.over = String(present !== null && total > present);
  };
  inputs.forEach((i) => i.addEventListener('input', update));
  update();
  const node = el('div', { className: 'counts' }, [
    ...inputs.map((input, i) => el('label', { className: 'count-label' }, [OPTION_LABELS[i] ?? '', input])),
    sum,
  ]);
  return { node, values: () => inputs.map((i) => Math.max(0, Math.floor(Number(i.value) || 0))) };
}
