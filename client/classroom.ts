import type { LessonState } from '../shared/lesson.js';
import type { ProducerInfo } from '../shared/media.js';
import { byId } from './lib/dom.js';
import { t } from './lib/i18n.js';
import { MediaSession, type ReceivedTrack } from './lib/media.js';
import { renderLessonHeader, startShell } from './lib/shell.js';
import { request } from './lib/socket.js';

let state: LessonState | null = null;
let session: MediaSession | null = null;
/** producerId → what we receive from it (or the promise of it). */
const received = new Map<string, Promise<ReceivedTrack | null>>();

const video = byId<HTMLVideoElement>('teacher-video');
const audio = byId<HTMLAudioElement>('teacher-audio');
const soundBtn = byId<HTMLButtonElement>('enable-sound');
const overlay = byId('overlay');
const mediaState = byId('media-state');

const shell = startShell(() => state && render(state));

function render(s: LessonState): void {
  renderLessonHeader(s);
  const receiving = [...received.keys()].length > 0 && s.status === 'live';
  overlay.hidden = receiving;
  overlay.textContent =
    s.status === 'ended' ? t('lessonEnded') : s.teacherOnline || s.status === 'live' ? t('waitingTeacher') : t('teacherOffline');
  mediaState.textContent = receiving ? t('mediaReceiving') : t('mediaIdle');
  mediaState.dataset.active = String(receiving);
}

function streamOf(el: HTMLMediaElement): MediaStream {
  if (!(el.srcObject instanceof MediaStream)) el.srcObject = new MediaStream();
  return el.srcObject as MediaStream;
}

function play(el: HTMLMediaElement): void {
  el.play().then(
    () => {
      if (el === audio) soundBtn.hidden = true;
    },
    () => {
      // Autoplay with sound needs one click on a fresh classroom PC.
      if (el === audio) soundBtn.hidden = false;
    },
  );
}

function attach(r: ReceivedTrack): void {
  const target = r.track.kind === 'video' ? video : audio;
  const stream = streamOf(target);
  stream.getTracks().forEach((tr) => stream.removeTrack(tr));
  stream.addTrack(r.track);
  play(target);
}

function detach(producerId: string): void {
  const pending = received.get(producerId);
  received.delete(producerId);
  void pending?.then((r) => {
    if (!r) return;
    session?.dropProducer(producerId);
    for (const el of [video, audio]) {
      const stream = el.srcObject instanceof MediaStream ? el.srcObject : null;
      stream?.getTracks().filter((tr) => tr === r.track).forEach((tr) => stream.removeTrack(tr));
    }
  });
}

function receive(info: ProducerInfo): void {
  if (!session || received.has(info.producerId)) return;
  const s = session;
  const job = s.receive(info).then(
    (r) => {
      if (s.isClosed) return null;
      attach(r);
      if (state) render(state);
      return r;
    },
    (err: unknown) => {
      received.delete(info.producerId);
      console.warn('receive failed', err);
      return null;
    },
  );
  received.set(info.producerId, job);
}

/** Brings what we receive in line with the server's state; safe to call any time. */
function reconcile(s: LessonState): void {
  if (s.status !== 'live') {
    session?.close();
    session = null;
    received.clear();
    video.srcObject = null;
    audio.srcObject = null;
    return;
  }
  if (!shell) return;
  session ??= new MediaSession(shell.socket);
  const wanted = new Set(s.producers.map((p) => p.producerId));
  for (const id of [...received.keys()]) if (!wanted.has(id)) detach(id);
  for (const p of s.producers) receive(p);
}

if (shell) {
  const { socket } = shell;
  socket.on('lesson:state', (s) => {
    state = s;
    reconcile(s);
    render(s);
  });
  socket.on('media:producerAdded', (info) => {
    if (state?.status === 'live') receive(info);
  });
  socket.on('media:producerClosed', ({ producerId }) => {
    detach(producerId);
    if (state) render(state);
  });
  socket.on('connect', () => {
    void request(socket, 'lesson:sync', {}).then(
      (s) => {
        state = s;
        reconcile(s);
        render(s);
      },
      (err: unknown) => console.warn('sync failed', err),
    );
  });
  socket.on('disconnect', () => {
    // The server dropped our media with the old connection; start clean on reconnect.
    session?.close();
    session = null;
    received.clear();
    if (state) render(state);
  });
  soundBtn.addEventListener('click', () => play(audio));
}

Object.assign(window, {
  tongke: {
    state: () => state,
    stats: async () => (session ? session.receiveStats() : { videoFramesDecoded: 0, audioPacketsReceived: 0, videoPacketsLost: 0 }),
  },
});
