import { byId, el, tokenFromLocation } from './lib/dom.js';
import { applyI18n, formatTime, installLanguageToggle, t } from './lib/i18n.js';
import { statusText } from './lib/shell.js';
import type { LessonStatus } from '../shared/lesson.js';

interface LessonRow {
  id: string;
  title: string;
  subject: string;
  teacherName: string;
  status: LessonStatus;
  startedAt: number | null;
  endedAt: number | null;
  classroomsInvited: number;
  classroomsOnline: number;
  classroomsReached: number;
}
interface EventRow {
  seq: number;
  at: number;
  type: string;
  classroomId: string | null;
}

const token = tokenFromLocation();
let lessons: LessonRow[] = [];
let selected: string | null = null;

async function api<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${token ?? ''}` } });
  const body = (await res.json()) as T & { error?: { message: string } };
  if (!res.ok) throw new Error(body.error?.message ?? res.statusText);
  return body;
}

function renderLessons(): void {
  const tbody = byId('lessons-body');
  if (lessons.length === 0) {
    tbody.replaceChildren(el('tr', {}, [el('td', { text: t('noLessons') })]));
    return;
  }
  tbody.replaceChildren(
    ...lessons.map((l) => {
      const row = el('tr', { dataset: { status: l.status, id: l.id } }, [
        el('td', { text: l.title }),
        el('td', { className: 'status', text: statusText(l.status) }),
        el('td', { text: formatTime(l.startedAt) }),
        el('td', { text: formatTime(l.endedAt) }),
        el('td', { className: 'num', text: `${l.classroomsOnline}/${l.classroomsInvited}` }),
        el('td', { className: 'num', text: String(l.classroomsReached) }),
      ]);
      row.addEventListener('click', () => {
        selected = l.id;
        void loadEvents();
      });
      return row;
    }),
  );
}

async function loadEvents(): Promise<void> {
  if (!selected) return;
  const { events } = await api<{ events: EventRow[] }>(`/api/admin/lessons/${encodeURIComponent(selected)}/events`);
  byId('events').replaceChildren(
    ...events.map((e) => el('li', { text: `${formatTime(e.at)}  ${e.type}${e.classroomId ? `  ${e.classroomId}` : ''}` })),
  );
}

async function refresh(): Promise<void> {
  const msg = byId('message');
  try {
    lessons = (await api<{ lessons: LessonRow[] }>('/api/admin/lessons')).lessons;
    msg.textContent = '';
    renderLessons();
    await loadEvents();
  } catch (err) {
    msg.textContent = `${t('loadFailed')}: ${(err as Error).message}`;
  }
}

applyI18n();
installLanguageToggle(byId<HTMLButtonElement>('lang'), renderLessons);
byId('refresh').addEventListener('click', () => void refresh());
void refresh();
setInterval(() => void refresh(), 10_000);
