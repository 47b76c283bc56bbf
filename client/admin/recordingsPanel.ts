import { ApiError, apiCall, apiGet, apiSend, mediaUrl } from '../lib/api.js';
import { byId, el } from '../lib/dom.js';
import { formatDuration, formatMegabytes, formatTime, t } from '../lib/i18n.js';
import { SegmentPlayer } from '../lib/segmentPlayer.js';

interface Recording {
  id: string;
  lessonId: string;
  lessonTitle: string | null;
  teacherName: string | null;
  startedAt: number;
  durationMs: number | null;
  bytes: number;
  /** Beside a shared screen: the teacher's camera over the same time, in a file of its own. */
  cameraFile: string | null;
  cameraBytes: number;
  /** Published to the library (精品课点播) since then; null: only administrators see it. */
  publishedAt: number | null;
  recording: boolean;
}

interface Storage {
  freeBytes: number | null;
  minFreeBytes: number;
  enough: boolean;
}

const gigabytes = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GB`;

/**
 * How much room recordings have left: a warning when none start for want of it, in the panel and
 * at the top of the page (the panel is at its foot, and an administrator may never scroll there).
 */
function renderStorage(s: Storage): void {
  const line = byId('recordings-storage');
  const alert = byId('storage-alert');
  line.dataset.low = String(!s.enough);
  line.hidden = s.freeBytes === null;
  alert.hidden = s.enough || s.freeBytes === null;
  if (s.freeBytes === null) return;
  const vars = { free: gigabytes(s.freeBytes), min: gigabytes(s.minFreeBytes) };
  line.textContent = s.enough ? t('storageFree', vars) : t('storageLow', vars);
  alert.textContent = s.enough ? '' : t('storageLowBanner', vars);
}

/**
 * 录播: the recorded segments of lessons, newest first, to watch in the page's player and
 * (admin:write) to delete. A segment still being written shows 录制中 and cannot be played yet.
 */
export function recordingsPanel(): { load: () => Promise<void>; render: () => void } {
  const player = new SegmentPlayer(byId<HTMLVideoElement>('recording-player'), byId<HTMLVideoElement>('recording-camera'));
  const message = byId('recordings-message');
  let recordings: Recording[] = [];
  let playing: string | null = null;

  async function play(r: Recording): Promise<void> {
    playing = r.id;
    const path = `/api/admin/recordings/${encodeURIComponent(r.id)}`;
    player.play(r.id, { main: await mediaUrl(`${path}/file`), camera: r.cameraFile ? await mediaUrl(`${path}/camera`) : null });
    render();
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
              const published = r.publishedAt !== null;
              const share = el('button', { className: 'small', text: t(published ? 'unpublish' : 'publish'), dataset: { publish: String(!published) } });
              share.type = 'button';
              share.addEventListener('click', () => {
                if (!published && !confirm(t('confirmPublish'))) return;
                void apiSend('PUT', `/api/admin/recordings/${encodeURIComponent(r.id)}`, JSON.stringify({ published: !published }))
                  .then(load)
                  .catch((err: unknown) => (message.textContent = (err as Error).message));
              });
              const del = el('button', { className: 'small', text: t('delete') });
              del.type = 'button';
              del.addEventListener('click', () => {
                if (!confirm(t('confirmDeleteRecording'))) return;
                void apiCall('DELETE', `/api/admin/recordings/${encodeURIComponent(r.id)}`)
                  .then(load)
                  .catch((err: unknown) => (message.textContent = (err as Error).message));
              });
              actions.push(playBtn, share, del);
            }
            return el('tr', { dataset: { recording: r.id, playing: String(playing === r.id) } }, [
              el('td', {}, [
                `${r.lessonTitle ?? r.lessonId}${r.teacherName ? ` · ${r.teacherName}` : ''}`,
                ...(r.cameraFile ? [el('span', { className: 'tag', text: t('screenWithCamera') })] : []),
                ...(r.publishedAt !== null ? [el('span', { className: 'tag published', text: t('published') })] : []),
              ]),
              el('td', { text: formatTime(r.startedAt) }),
              el('td', { text: r.recording ? t('recordingInProgress') : formatDuration(r.durationMs ?? 0) }),
              el('td', { text: formatMegabytes(r.bytes + r.cameraBytes) }),
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
