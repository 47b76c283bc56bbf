import { ApiError, apiCall, apiGet, mediaUrl } from '../lib/api.js';
import { byId, el } from '../lib/dom.js';
import { formatDuration, formatTime, t } from '../lib/i18n.js';

interface Recording {
  id: string;
  lessonId: string;
  lessonTitle: string | null;
  teacherName: string | null;
  startedAt: number;
  durationMs: number | null;
  bytes: number;
  recording: boolean;
}

interface Storage {
  freeBytes: number | null;
  minFreeBytes: number;
  enough: boolean;
}

const megabytes = (bytes: number) => `${(bytes / 1_000_000).toFixed(1)} MB`;
const gigabytes = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GB`;

/** How much room recordings have left: a warning when none start for want of it. */
function renderStorage(s: Storage): void {
  const line = byId('recordings-storage');
  line.dataset.low = String(!s.enough);
  line.hidden = s.freeBytes === null;
  if (s.freeBytes === null) return;
  const vars = { free: gigabytes(s.freeBytes), min: gigabytes(s.minFreeBytes) };
  line.textContent = s.enough ? t('storageFree', vars) : t('storageLow', vars);
}

/**
 * 录播: the recorded segments of lessons, newest first, to watch in the page's player and
 * (admin:write) to delete. A segment still being written shows 录制中 and cannot be played yet.
 */
export function recordingsPanel(): { load: () => Promise<void>; render: () => void } {
  const player = byId<HTMLVideoElement>('recording-player');
  const message = byId('recordings-message');
  let recordings: Recording[] = [];
  let playing: string | null = null;

  async function play(r: Recording): Promise<void> {
    playing = r.id;
    if (player.src.startsWith('blob:')) URL.revokeObjectURL(player.src);
    player.src = await mediaUrl(`/api/admin/recordings/${encodeURIComponent(r.id)}/file`);
    player.hidden = false;
    player.dataset.recording = r.id;
    render();
    await player.play().catch(() => {});
  }

  function render(): void {
    byId('recordings-body').replaceChildren(
      ...(recordings.length === 0
        ? [el('tr', {}, [Object.assign(el('td', { className: 'hint', text: t('noRecordings') }), { colSpan: 5 })])]
        : recordings.map((r) => {
            const actions: HTMLElement[] = [];
            if (!r.recording) {
              const playBtn = el('button', { className: 'small', text: t('play') });
              playBtn.type = 'button';
              playBtn.addEventListener('click', () => void play(r).catch((err: unknown) => (message.textContent = (err as Error).message)));
              const del = el('button', { className: 'small', text: t('delete') });
              del.type = 'button';
              del.addEventListener('click', () => {
                if (!confirm(t('confirmDeleteRecording'))) return;
                void apiCall('DELETE', `/api/admin/recordings/${encodeURIComponent(r.id)}`)
                  .then(load)
                  .catch((err: unknown) => (message.textContent = (err as Error).message));
              });
              actions.push(playBtn, del);
            }
            return el('tr', { dataset: { recording: r.id, playing: String(playing === r.id) } }, [
              el('td', { text: `${r.lessonTitle ?? r.lessonId}${r.teacherName ? ` · ${r.teacherName}` : ''}` }),
              el('td', { text: formatTime(r.startedAt) }),
              el('td', { text: r.recording ? t('recordingInProgress') : formatDuration(r.durationMs ?? 0) }),
              el('td', { text: megabytes(r.bytes) }),
              el('td', { className: 'actions' }, actions),
            ]);
          })),
    );
  }

  async function load(): Promise<void> {
    try {
      const listed = await apiGet<{ recordings: Recording[]; storage: Storage }>('/api/admin/recordings');
      recordings = listed.recordings;
      renderStorage(listed.storage);
      message.textContent = '';
    } catch (err) {
      if (err instanceof ApiError && err.code === 'FORBIDDEN') {
        byId('recordings-panel').hidden = true;
        return;
      }
      throw err;
    }
    render();
  }

  return { load, render };
}
