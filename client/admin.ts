import type { Figures } from '../shared/audit.js';
import { accountsPanel } from './admin/accountsPanel.js';
import { recordingsPanel } from './admin/recordingsPanel.js';
import { renderMediaLoad } from './admin/mediaLoadLine.js';
import type { MediaLoad } from '../shared/mediaLoad.js';
import { apiCall, apiGet, apiSend, download, viaBearer } from './lib/api.js';
import { barChart } from './lib/chart.js';
import { byId, el } from './lib/dom.js';
import { applyI18n, formatTime, installLanguageToggle, t, type Key } from './lib/i18n.js';
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
  classroomsMediaBlocked: number;
  classroomsReached: number;
}
interface EventRow {
  seq: number;
  at: number;
  type: string;
  classroomId: string | null;
}
interface GroupRow extends Figures {
  key: string;
  label: string;
}
interface Bundled {
  community: { id: string; name: string; type: string };
  total: Figures;
  schools: (GroupRow & { role: 'core' | 'member' })[];
}
interface SchoolReport {
  school: { id: string; name: string; district: string; area: string };
  community: { name: string } | null;
  role: 'core' | 'member';
  totals: Figures;
  lessons: (LessonRow & { plannedStart: number | null; classroomsReached: number; pupilVisits: number })[];
}
interface Drill {
  lesson: LessonRow;
  summary: Figures;
  classrooms: { id: string; name: string; schoolName: string; reached: boolean; mediaBlocked: boolean; present: number | null }[];
  events: EventRow[];
}
interface ReportEntry {
  name: string;
  kind: string;
  period: string;
  format: string;
  bytes: number;
}
type GroupBy = 'community' | 'school' | 'month' | 'subject';

let lessons: LessonRow[] = [];
let mediaLoad: MediaLoad | null = null;
let selectedLesson: string | null = null;
let selectedSchool: string | null = null;
let groupRows: GroupRow[] = [];
let monthRows: GroupRow[] = [];
let totals: Figures | null = null;
let bundled: Bundled[] = [];
let school: SchoolReport | null = null;
let drill: Drill | null = null;
let reports: ReportEntry[] = [];

const fromInput = byId<HTMLInputElement>('from');
const toInput = byId<HTMLInputElement>('to');
const groupSelect = byId<HTMLSelectElement>('group-by');
const msg = byId('message');

// ---- formatting -------------------------------------------------------------------------
const int = (n: number) => n.toLocaleString('zh-CN');
const pct = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(1)}%`);
const COLUMNS: [keyof Figures, Key, (f: Figures) => string][] = [
  ['lessonsPlanned', 'lessonsPlanned', (f) => int(f.lessonsPlanned)],
  ['lessonsDelivered', 'lessonsDelivered', (f) => int(f.lessonsDelivered)],
  ['deliveryRate', 'deliveryRate', (f) => pct(f.deliveryRate)],
  ['minutesDelivered', 'minutesDelivered', (f) => int(Math.round(f.minutesDelivered))],
  ['classroomsReached', 'classroomsReachedFig', (f) => int(f.classroomsReached)],
  ['ruralSchoolsReached', 'ruralSchoolsReached', (f) => int(f.ruralSchoolsReached)],
  ['pupilVisits', 'pupilVisits', (f) => int(f.pupilVisits)],
  ['blockedClassroomLessons', 'blockedClassroomLessons', (f) => int(f.blockedClassroomLessons)],
  ['blockedPupilVisits', 'blockedPupilVisits', (f) => int(f.blockedPupilVisits)],
  ['quizzesRun', 'quizzesRun', (f) => int(f.quizzesRun)],
  ['avgCorrectRate', 'avgCorrectRate', (f) => pct(f.avgCorrectRate)],
];
/** The two columns of classrooms online whose media never got through carry their definition. */
const hintOf = (name: keyof Figures) => (name === 'blockedClassroomLessons' || name === 'blockedPupilVisits' ? t('blockedHint') : undefined);
const figureHeads = () => COLUMNS.map(([name, key]) => el('th', { className: 'num', text: t(key), title: hintOf(name) }));
const figureCells = (f: Figures) => COLUMNS.map(([, , fmt]) => el('td', { className: 'num', text: fmt(f) }));

// ---- date range (Asia/Shanghai days) ----------------------------------------------------
const shanghaiToday = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
function setRange(from: string, to: string): void {
  fromInput.value = from;
  toInput.value = to;
}
function presetMonth(offset: number): void {
  const [y, m] = shanghaiToday().split('-').map(Number) as [number, number];
  const first = new Date(Date.UTC(y, m - 1 + offset, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0));
  setRange(first.toISOString().slice(0, 10), last.toISOString().slice(0, 10));
}
const rangeQuery = () => `from=${encodeURIComponent(fromInput.value)}&to=${encodeURIComponent(toInput.value)}`;

// ---- rendering ----------------------------------------------------------------------------
function renderCards(): void {
  const cards = byId('cards');
  if (!totals) return cards.replaceChildren();
  const f = totals;
  cards.replaceChildren(
    ...COLUMNS.map(([name, key, fmt]) =>
      el('div', { className: 'card', dataset: { figure: name }, title: hintOf(name) }, [el('div', { className: 'value', text: fmt(f) }), el('div', { className: 'label', text: t(key) })]),
    ),
  );
}

function renderChart(): void {
  const labels = monthRows.map((r) => r.key.slice(2).replace('-', '/'));
  byId('chart').replaceChildren(
    barChart(t('chartTitle'), labels, [
      { name: t('chartLessons'), className: 'bar-lessons', values: monthRows.map((r) => r.lessonsDelivered) },
      { name: t('chartVisits'), className: 'bar-visits', values: monthRows.map((r) => r.pupilVisits) },
    ]),
  );
}

function renderTable(): void {
  byId('table-head').replaceChildren(el('tr', {}, [el('th', { text: t('group') }), ...figureHeads()]));
  const body = groupRows.map((r) => {
    const row = el('tr', { dataset: { key: r.key } }, [el('td', { text: r.label }), ...figureCells(r)]);
    if (groupSelect.value === 'school') {
      row.addEventListener('click', () => {
        selectedSchool = r.key;
        void loadSchool();
      });
    }
    return row;
  });
  if (totals) body.push(el('tr', { className: 'total' }, [el('td', { text: t('total') }), ...figureCells(totals)]));
  byId('table-body').replaceChildren(...body);
}

function renderBundled(): void {
  byId('bundled-head').replaceChildren(el('tr', {}, [el('th', { text: t('school') }), el('th', { text: '' }), ...figureHeads()]));
  const rows: HTMLTableRowElement[] = [];
  for (const c of bundled) {
    rows.push(el('tr', { className: 'community' }, [el('td', { text: c.community.name }), el('td', { text: t('communityTotal') }), ...figureCells(c.total)]));
    for (const s of c.schools) {
      const row = el('tr', { dataset: { role: s.role } }, [el('td', { className: 'indent', text: s.label }), el('td', { text: t(s.role === 'core' ? 'roleCore' : 'roleMember') }), ...figureCells(s)]);
      row.addEventListener('click', () => {
        selectedSchool = s.key;
        void loadSchool();
      });
      rows.push(row);
    }
  }
  byId('bundled-body').replaceChildren(...rows);
}

function renderSchool(): void {
  const box = byId('school-report');
  byId('school-csv').hidden = !school;
  if (!school) return box.replaceChildren(el('p', { className: 'hint', text: t('pickSchool') }));
  const s = school;
  box.replaceChildren(
    el('h3', { text: `${s.school.name} · ${s.community?.name ?? ''} · ${t(s.role === 'core' ? 'roleCore' : 'roleMember')}` }),
    el('table', { className: 'figures' }, [el('thead', {}, [el('tr', {}, figureHeads())]), el('tbody', {}, [el('tr', {}, figureCells(s.totals))])]),
    el('table', {}, [
      el('thead', {}, [el('tr', {}, [el('th', { text: t('title') }), el('th', { text: t('status') }), el('th', { text: t('startedAt') }), el('th', { className: 'num', text: t('classroomsReachedFig') }), el('th', { className: 'num', text: t('pupilVisits') })])]),
      el(
        'tbody',
        {},
        s.lessons.slice(0, 200).map((l) => {
          const row = el('tr', { dataset: { status: l.status } }, [el('td', { text: l.title }), el('td', { className: 'status', text: statusText(l.status) }), el('td', { text: formatTime(l.startedAt ?? l.plannedStart) }), el('td', { className: 'num', text: String(l.classroomsReached) }), el('td', { className: 'num', text: String(l.pupilVisits) })]);
          row.addEventListener('click', () => {
            selectedLesson = l.id;
            void loadLesson();
          });
          return row;
        }),
      ),
    ]),
  );
}

function renderReports(): void {
  const list = byId('reports');
  if (reports.length === 0) return list.replaceChildren(el('li', { className: 'hint', text: t('noReports') }));
  list.replaceChildren(
    ...reports.map((r) => {
      const b = el('button', { className: 'link', text: `${r.name} (${Math.ceil(r.bytes / 1024)} KB)` });
      b.type = 'button';
      b.addEventListener('click', () => void guard(download(`/api/admin/reports/${encodeURIComponent(r.name)}`, r.name)));
      return el('li', {}, [b]);
    }),
  );
}

function renderLessons(): void {
  const tbody = byId('lessons-body');
  if (lessons.length === 0) return tbody.replaceChildren(el('tr', {}, [el('td', { text: t('noLessons') })]));
  tbody.replaceChildren(
    ...lessons.slice(0, 100).map((l) => {
      const row = el('tr', { dataset: { status: l.status, id: l.id } }, [
        el('td', { text: l.title }),
        el('td', { className: 'status', text: statusText(l.status) }),
        el('td', { text: formatTime(l.startedAt) }),
        el('td', { text: formatTime(l.endedAt) }),
        el('td', { className: 'num' }, [
          `${l.classroomsOnline}/${l.classroomsInvited}`,
          // A classroom online whose media does not get through, while the lesson runs: 巡课 sees it at once.
          l.classroomsMediaBlocked > 0
            ? el('span', { className: 'mark blocked', text: `${t('mediaBlockedMark')} ${l.classroomsMediaBlocked}`, dataset: { blocked: String(l.classroomsMediaBlocked) } })
            : null,
        ]),
        el('td', { className: 'num', text: String(l.classroomsReached) }),
      ]);
      row.addEventListener('click', () => {
        selectedLesson = l.id;
        void loadLesson();
      });
      return row;
    }),
  );
}

function renderLesson(): void {
  byId('lesson-csv').hidden = !drill;
  if (!drill) {
    byId('lesson-detail').replaceChildren(el('p', { className: 'hint', text: t('pickLesson') }));
    byId('events').replaceChildren();
    return;
  }
  const d = drill;
  byId('lesson-detail').replaceChildren(
    el('h3', { text: `${d.lesson.title} · ${d.lesson.teacherName} · ${statusText(d.lesson.status)}` }),
    el('table', { className: 'figures' }, [el('thead', {}, [el('tr', {}, figureHeads())]), el('tbody', {}, [el('tr', {}, figureCells(d.summary))])]),
    el('table', {}, [
      el('thead', {}, [el('tr', {}, [el('th', { text: t('school') }), el('th', { text: t('classroom') }), el('th', { text: t('reached') }), el('th', { className: 'num', text: t('present') })])]),
      el('tbody', {}, d.classrooms.map((c) => el('tr', {}, [el('td', { text: c.schoolName }), el('td', { text: c.name }), el('td', { text: t(c.reached ? 'yes' : c.mediaBlocked ? 'noMedia' : 'no'), dataset: { reach: c.reached ? 'reached' : c.mediaBlocked ? 'no-media' : 'no' } }), el('td', { className: 'num', text: c.present === null ? '—' : String(c.present) })]))),
    ]),
  );
  byId('events').replaceChildren(...d.events.map((e) => el('li', { text: `${formatTime(e.at)}  ${e.type}${e.classroomId ? `  ${e.classroomId}` : ''}` })));
}

function renderAll(): void {
  renderCards();
  renderChart();
  renderTable();
  renderBundled();
  renderSchool();
  renderReports();
  renderLessons();
  if (mediaLoad) renderMediaLoad(mediaLoad);
  renderLesson();
  accounts.render();
  recordings.render();
}

// ---- loading ------------------------------------------------------------------------------
async function guard(p: Promise<unknown>): Promise<void> {
  try {
    await p;
    msg.textContent = '';
  } catch (err) {
    msg.textContent = `${t('loadFailed')}: ${(err as Error).message}`;
  }
}

async function loadAudit(): Promise<void> {
  const q = rangeQuery();
  const group = groupSelect.value as GroupBy;
  const [tot, table, months, bund] = await Promise.all([
    apiGet<{ totals: Figures }>(`/api/admin/audit/totals?${q}`),
    apiGet<{ rows: GroupRow[] }>(`/api/admin/audit/table?${q}&groupBy=${group}`),
    group === 'month' ? null : apiGet<{ rows: GroupRow[] }>(`/api/admin/audit/table?${q}&groupBy=month`),
    apiGet<{ communities: Bundled[] }>(`/api/admin/audit/bundled?${q}`),
  ]);
  totals = tot.totals;
  groupRows = table.rows;
  monthRows = months ? months.rows : table.rows;
  bundled = bund.communities;
  renderCards();
  renderChart();
  renderTable();
  renderBundled();
  await loadSchool();
}

async function loadSchool(): Promise<void> {
  school = selectedSchool ? await apiGet<SchoolReport>(`/api/admin/audit/schools/${encodeURIComponent(selectedSchool)}?${rangeQuery()}`) : null;
  renderSchool();
}

async function loadLesson(): Promise<void> {
  drill = selectedLesson ? await apiGet<Drill>(`/api/admin/audit/lessons/${encodeURIComponent(selectedLesson)}`) : null;
  renderLesson();
}

async function loadReports(): Promise<void> {
  reports = (await apiGet<{ reports: ReportEntry[] }>('/api/admin/reports')).reports;
  renderReports();
}

async function loadLessons(): Promise<void> {
  const listed = await apiGet<{ lessons: LessonRow[]; media: MediaLoad }>('/api/admin/lessons');
  lessons = listed.lessons;
  mediaLoad = listed.media;
  renderLessons();
  renderMediaLoad(mediaLoad);
  await loadLesson();
}

const accounts = accountsPanel();
const recordings = recordingsPanel();
const refreshAll = () => guard(Promise.all([loadAudit(), loadReports(), loadLessons(), accounts.load(), recordings.load()]));

/** Opened after logging in (no link token): show who, and offer to sign out. */
async function sessionHeader(): Promise<void> {
  if (viaBearer) return;
  const { account } = await apiGet<{ account: { displayName: string; username: string } }>('/api/auth/me');
  byId('signed-in').textContent = `${account.displayName}（${account.username}）`;
  byId('logout').hidden = false;
}
byId('logout').addEventListener('click', () => {
  void guard(apiCall('POST', '/api/auth/logout').then(() => location.assign('login.html')));
});

// ---- wiring -------------------------------------------------------------------------------
applyI18n();
installLanguageToggle(byId<HTMLButtonElement>('lang'), renderAll);
presetMonth(0);
const params = new URLSearchParams(location.hash.replace(/^#/, ''));
if (params.get('from') && params.get('to')) setRange(params.get('from')!, params.get('to')!);
byId('range').addEventListener('submit', (e) => {
  e.preventDefault();
  void guard(loadAudit());
});
const preset = (id: string, fn: () => void) =>
  byId(id).addEventListener('click', () => {
    fn();
    void guard(loadAudit());
  });
preset('this-month', () => presetMonth(0));
preset('last-month', () => presetMonth(-1));
preset('this-year', () => setRange(`${shanghaiToday().slice(0, 4)}-01-01`, `${shanghaiToday().slice(0, 4)}-12-31`));
groupSelect.addEventListener('change', () => void guard(loadAudit()));
byId('refresh').addEventListener('click', () => void refreshAll());
byId('table-csv').addEventListener('click', () =>
  void guard(download(`/api/admin/audit/table?${rangeQuery()}&groupBy=${groupSelect.value}&format=csv`, `audit-${groupSelect.value}-${fromInput.value}-${toInput.value}.csv`)),
);
byId('bundled-csv').addEventListener('click', () =>
  void guard(download(`/api/admin/audit/bundled?${rangeQuery()}&format=csv`, `bundled-${fromInput.value}-${toInput.value}.csv`)),
);
byId('school-csv').addEventListener('click', () => {
  if (selectedSchool) void guard(download(`/api/admin/audit/schools/${encodeURIComponent(selectedSchool)}?${rangeQuery()}&format=csv`, `school-${selectedSchool}.csv`));
});
byId('lesson-csv').addEventListener('click', () => {
  if (selectedLesson) void guard(download(`/api/admin/audit/lessons/${encodeURIComponent(selectedLesson)}?format=csv`, `lesson-${selectedLesson}.csv`));
});
byId('generate').addEventListener('submit', (e) => {
  e.preventDefault();
  const period = byId<HTMLInputElement>('period').value.trim();
  void guard(apiSend('POST', '/api/admin/reports', JSON.stringify({ period })).then(loadReports));
});
byId('import').addEventListener('submit', (e) => {
  e.preventDefault();
  const file = byId<HTMLInputElement>('import-file').files?.[0];
  if (!file) return;
  void guard(
    apiSend<{ created: number; updated: number; rejected: number; errors: { row: number; message: string }[] }>('POST', '/api/admin/timetable/import', file, 'text/csv').then((r) => {
      byId('import-result').replaceChildren(
        el('p', { text: t('importResult', { c: r.created, u: r.updated, r: r.rejected }) }),
        el('ul', { className: 'errors' }, r.errors.map((x) => el('li', { text: t('rowError', { row: x.row, msg: x.message }) }))),
      );
      return loadAudit();
    }),
  );
});
renderAll();
void sessionHeader().then(refreshAll, () => location.assign('login.html'));
setInterval(() => void guard(loadLessons()), 15_000);
// Recordings finish, and the disk fills, while the page stays open.
setInterval(() => void guard(recordings.load()), 60_000);
