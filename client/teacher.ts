import type { LessonState } from '../shared/lesson.js';
import { byId, el } from './lib/dom.js';
import { t } from './lib/i18n.js';
import { MediaSession } from './lib/media.js';
import { renderLessonHeader, startShell } from './lib/shell.js';
import { request } from './lib/socket.js';

let state: LessonState | null = null;
let localStream: MediaStream | null = null;
let session: MediaSession | null = null;
let publishing = false;

const startBtn = byId<HTMLButtonElement>('start');
const endBtn = byId<HTMLButtonElement>('end');
const republishBtn = byId<HTMLButtonElement>('republish');
const preview = byId<HTMLVideoElement>('preview');
const message = byId('message');
const mediaState = byId('media-state');

const shell = startShell(() => state && render(state));

function render(s: LessonState): void {
  renderLessonHeader(s);
  startBtn.hidden = s.status !== 'scheduled';
  endBtn.hidden = s.status !== 'live';
  republishBtn.hidden = !(s.status === 'live' && !publishing);
  mediaState.textContent = publishing ? t('mediaPublishing') : t('mediaIdle');
  mediaState.dataset.active = String(publishing);
  const list = byId('classrooms');
  list.replaceChildren(
    ...s.classrooms.map((c) =>
      el('li', { className: 'classroom', dataset: { online: String(c.online) } }, [
        el('span', { className: 'dot' }),
        el('span', { className: 'name', text: `${c.schoolName} ${c.name}` }),
        el('span', { className: 'presence', text: c.online ? t('online') : t('offline') }),
      ]),
    ),
  );
  byId('online-count').textContent = `${s.classrooms.filter((c) => c.online).length}/${s.classrooms.length}`;
}

function showError(err: unknown): void {
  message.textContent = err instanceof Error ? err.message : String(err);
}

async function openCamera(): Promise<MediaStream> {
  localStream ??= await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: true, noiseSuppression: true },
    video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 25 } },
  });
  preview.srcObject = localStream;
  return localStream;
}

async function publish(): Promise<void> {
  if (!shell || publishing) return;
  const stream = await openCamera();
  session?.close();
  session = new MediaSession(shell.socket);
  const video = stream.getVideoTracks()[0];
  const audio = stream.getAudioTracks()[0];
  if (audio) await session.publish(audio, 'microphone');
  if (video) await session.publish(video, 'camera');
  publishing = true;
  if (state) render(state);
}

if (shell) {
  const { socket } = shell;
  socket.on('lesson:state', (s) => {
    state = s;
    render(s);
  });
  socket.on('connect', () => {
    void (async () => {
      try {
        state = await request(socket, 'lesson:sync', {});
        render(state);
        // After a reconnect the server has dropped our old media: publish again.
        if (state.status === 'live' && localStream) await publish();
      } catch (err) {
        showError(err);
      }
    })();
  });
  socket.on('disconnect', () => {
    session?.close();
    session = null;
    publishing = false;
    if (state) render(state);
  });

  startBtn.addEventListener('click', () => {
    message.textContent = '';
    startBtn.disabled = true;
    void (async () => {
      try {
        await openCamera();
      } catch {
        message.textContent = t('cameraError');
        startBtn.disabled = false;
        return;
      }
      try {
        state = await request(socket, 'lesson:start', {});
        render(state);
        await publish();
      } catch (err) {
        showError(err);
      } finally {
        startBtn.disabled = false;
      }
    })();
  });

  republishBtn.addEventListener('click', () => {
    message.textContent = '';
    publish().catch(showError);
  });

  endBtn.addEventListener('click', () => {
    if (!confirm(t('confirmEnd'))) return;
    void (async () => {
      try {
        state = await request(socket, 'lesson:end', {});
        session?.close();
        session = null;
        publishing = false;
        localStream?.getTracks().forEach((tr) => tr.stop());
        localStream = null;
        preview.srcObject = null;
        render(state);
      } catch (err) {
        showError(err);
      }
    })();
  });
}

// For tests and support: read-only views of what the page is doing.
Object.assign(window, { tongke: { state: () => state, publishing: () => publishing } });
