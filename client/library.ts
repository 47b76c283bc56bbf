import { libraryListSchema, type LibraryLesson as Lesson } from '../shared/library.js';
import { ApiError, checked } from './lib/api.js';
import { SegmentPlayer } from './lib/segmentPlayer.js';
import { byId, el } from './lib/dom.js';
import { applyI18n, formatDuration, formatMegabytes, formatTime, installLanguageToggle, t } from './lib/i18n.js';

const player = new SegmentPlayer(byId<HTMLVideoElement>('recording-player'), byId<HTMLVideoElement>('recording-camera'));
const message = byId('library-message');
const subjectFilter = byId<HTMLSelectElement>('subject-filter');
const gradeFilter = byId<HTMLSelectElement>('grade-filter');
/**
 * 流畅版 or 原画, remembered on this device: light by default, since the library's viewers are
 * mostly pupils at home, many on weak links. A part without a light copy yet plays the original.
 */
const versionPick = byId<HTMLSelectElement>('version-pick');
const VERSION_KEY = 'tongke.libraryVersion';
versionPick.value = localStorage.getItem(VERSION_KEY) === 'original' ? 'original' : 'light';
versionPick.title = t('versionHint');
const wantsLight = (seg: Lesson['segments'][number]) => versionPick.value === 'light' && seg.lightBytes !== null;
let lessons: Lesson[] = [];
let playing: { lesson: Lesson; index: number } | null = null;

const lessonMeta = (l: Lesson) => [l.schoolName, l.teacherName, [l.subject, l.grade].filter(Boolean).join(' '), formatTime(l.startedAt)].join(' · ');

/**
 * Plays one part of a lesson; a shared screen's part shows the teacher's camera in its corner.
 * preload=metadata and byte ranges: a pupil on a weak link downloads what is watched, not the file.
 */
function play(lesson: Lesson, index: number): void {
  const seg = lesson.segments[index]!;
  playing = { lesson, index };
  const base = `/api/library/recordings/${encodeURIComponent(seg.id)}`;
  // The light copy has the teacher's camera drawn in already.
  player.play(
    seg.id,
    wantsLight(seg) ? { main: `${base}/light`, camera: null } : { main: `${base}/file`, camera: seg.hasCamera ? `${base}/camera` : null },
  );
  renderPlaying();
  render();
}

// One part after another, as the lesson was given.
player.main.addEventListener('ended', () => {
  if (playing && playing.index + 1 < playing.lesson.segments.length) play(playing.lesson, playing.index + 1);
});

function renderPlaying(): void {
  if (!playing) return;
  const { lesson, index } = playing;
  byId('playing-title').textContent = `${lesson.title} · ${t('segmentN', { n: index + 1 })}`;
  byId('playing-meta').textContent = lessonMeta(lesson);
}

/** The filters offer what the library holds. */
function renderFilters(): void {
  for (const [select, values] of [
    [subjectFilter, lessons.map((l) => l.subject)],
    [gradeFilter, lessons.map((l) => l.grade)],
  ] as const) {
    const chosen = select.value;
    const options = [...new Set(values.filter(Boolean))].sort((a, b) => a.localeCompare(b, 'zh-CN'));
    select.replaceChildren(el('option', { text: t('all') }), ...options.map((v) => el('option', { text: v })));
    select.options[0]!.value = '';
    select.value = options.includes(chosen) ? chosen : '';
  }
}

function render(): void {
  const shown = lessons.filter((l) => (!subjectFilter.value || l.subject === subjectFilter.value) && (!gradeFilter.value || l.grade === gradeFilter.value));
  byId('library-list').replaceChildren(
    ...(shown.length === 0
      ? [el('li', { className: 'hint', text: t('libraryEmpty') })]
      : shown.map((l) =>
          el('li', { className: 'library-lesson', dataset: { lesson: l.lessonId } }, [
            el('div', { className: 'name', text: l.title }),
            el('div', { className: 'hint', text: lessonMeta(l) }),
            el(
              'div',
              { className: 'parts' },
              l.segments.map((seg, i) => {
                const b = el('button', { className: 'small', dataset: { recording: seg.id, playing: String(playing?.lesson.segments[playing.index]?.id === seg.id) } }, [
                  `${t('segmentN', { n: i + 1 })} (${formatDuration(seg.durationMs)}, ${formatMegabytes(wantsLight(seg) ? seg.lightBytes! : seg.bytes)})`,
                  ...(seg.hasCamera ? [el('span', { className: 'tag', text: t('screenWithCamera') })] : []),
                ]);
                b.type = 'button';
                b.addEventListener('click', () => play(l, i));
                return b;
              }),
            ),
          ]),
        )),
  );
}

async function load(): Promise<void> {
  try {
    const res = await checked(await fetch('/api/library'));
    lessons = libraryListSchema.parse(await res.json()).lessons;
    message.textContent = '';
  } catch (err) {
    message.textContent = err instanceof ApiError ? err.message : String(err);
  }
  renderFilters();
  render();
}

subjectFilter.addEventListener('change', render);
versionPick.addEventListener('change', () => {
  localStorage.setItem(VERSION_KEY, versionPick.value);
  render();
  // What plays switches at the same place in the lesson.
  if (playing) {
    const at = player.main.currentTime;
    play(playing.lesson, playing.index);
    player.main.addEventListener('loadedmetadata', () => (player.main.currentTime = at), { once: true });
  }
});
gradeFilter.addEventListener('change', render);
applyI18n();
installLanguageToggle(byId<HTMLButtonElement>('lang'), () => {
  versionPick.title = t('versionHint');
  renderFilters();
  render();
  renderPlaying();
});
void load();
