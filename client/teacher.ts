import type { LessonState } from '../shared/lesson.js';
import { attendanceForm } from './lib/attendanceForm.js';
import { byId } from './lib/dom.js';
import { formatDuration, t } from './lib/i18n.js';
import { CAMERA_SIMULCAST, emptyReceiveStats, MediaSession, sessionCount } from './lib/media.js';
import { sessionReach, watchMediaReach } from './lib/mediaReach.js';
import { encodingsOf, SendLimitWatch, type LimitView } from './lib/sendLimit.js';
import { attachTrack, detachTrack } from './lib/players.js';
import { Receivers } from './lib/receivers.js';
import { renderLessonHeader, startShell, wireLessonEvents } from './lib/shell.js';
import { request, RequestError } from './lib/socket.js';
import { questionsPanel } from './teacher/questionsPanel.js';
import { quizPanel } from './teacher/quizPanel.js';
import { classroomWall } from './lib/classroomWall.js';

let state: LessonState | null = null;
let localStream: MediaStream | null = null;
let session: MediaSession | null = null;
let publishing = false;
let screen: MediaStream | null = null;

const startBtn = byId<HTMLButtonElement>('start');
const endBtn = byId<HTMLButtonElement>('end');
const republishBtn = byId<HTMLButtonElement>('republish');
const preview = byId<HTMLVideoElement>('preview');
const message = byId('message');
const mediaState = byId('media-state');
const shareBtn = byId<HTMLButtonElement>('share');

const shell = startShell(
  () => state && render(state),
  undefined,
  () => session?.flowing ?? false,
);
const wall = shell ? classroomWall({ socket: shell.socket, message }) : null;
if (shell) {
  watchMediaReach(byId('media-blocked'), sessionReach(() => state?.status === 'live', () => session), renderMediaState);
}
const renderQuestions = shell ? questionsPanel(shell.socket, message) : () => {};
const renderQuiz = shell ? quizPanel(shell.socket) : () => {};
const renderLectureAttendance = shell
  ? attendanceForm(
      shell.socket,
      { expected: 'lecture-expected', present: 'lecture-present', submit: 'lecture-attendance-submit', message: 'lecture-attendance-message' },
      (s) => s.lectureClassroom.attendance,
    )
  : () => {};

/** Every classroom's picture for the wall; its sound flows only while it is on stage. */
const receivers = new Receivers(
  () => session,
  (info, track) => {
    const target = info.ownerClassroomId ? wall?.player(info.ownerClassroomId, track.kind) : null;
    if (target) attachTrack(target, track);
  },
  (info) => {
    const target = info.ownerClassroomId ? wall?.player(info.ownerClassroomId, info.kind) : null;
    if (target) detachTrack(target, info.kind);
  },
);

/** How often the camera's encodings are read for SendLimitWatch. */
const SEND_LIMIT_SAMPLE_MS = 2000;
const sendLimitBox = byId('send-limit');
let sendLimit: LimitView | null = null;
let limitWatch: { session: MediaSession; watch: SendLimitWatch } | null = null;

/**
 * Tells the teacher when its own computer or uplink makes it send every classroom a smaller
 * picture: the classrooms' links are not the cause then, and only the teacher can act.
 */
function renderSendLimit(): void {
  sendLimitBox.hidden = !sendLimit;
  sendLimitBox.dataset.limit = sendLimit?.limit ?? '';
  sendLimitBox.textContent = sendLimit
    ? t(sendLimit.limit === 'cpu' ? 'sendLimitCpu' : 'sendLimitBandwidth', { w: sendLimit.width })
    : '';
}
setInterval(() => {
  const current = session;
  const width = localStream?.getVideoTracks()[0]?.getSettings().width ?? 0;
  if (!current || !publishing) {
    limitWatch = null;
    if (sendLimit) {
      sendLimit = null;
      renderSendLimit();
    }
    return;
  }
  if (limitWatch?.session !== current) limitWatch = { session: current, watch: new SendLimitWatch(performance.now()) };
  const { watch } = limitWatch;
  void current.sendStats('camera').then((report) => {
    if (!report || limitWatch?.watch !== watch) return;
    const next = watch.sample(encodingsOf(report), width, performance.now());
    if (next?.limit !== sendLimit?.limit || next?.width !== sendLimit?.width) {
      sendLimit = next;
      renderSendLimit();
    }
  }, () => {});
}, SEND_LIMIT_SAMPLE_MS);

const recordBtn = byId<HTMLButtonElement>('record');
const recordingState = byId('recording-state');
let recordingTimer: ReturnType<typeof setInterval> | null = null;

/** 录制 / 停止录制, and ● 录制中 with the time recorded so far. */
function renderRecording(s: LessonState): void {
  const rec = s.recording;
  recordBtn.hidden = s.status !== 'live';
  recordBtn.textContent = rec.active ? t('stopRecording') : t('startRecording');
  recordBtn.dataset.active = String(rec.active);
  const halted = !rec.active && rec.halted === 'storage_full';
  recordingState.hidden = !rec.active && !halted;
  recordingState.dataset.writing = String(rec.writing);
  recordingState.dataset.halted = String(halted);
  if (halted) recordingState.textContent = t('recordingHaltedStorage');
  const tick = () => {
    if (rec.since === null) return;
    // Not writing: waiting for the camera (or the server cannot write); say so, not 录制中.
    recordingState.textContent = rec.writing
      ? `● ${t('recordingNow')} ${formatDuration(Date.now() - rec.since)}`
      : `● ${t('recordingWaiting')}`;
  };
  tick();
  if (recordingTimer) clearInterval(recordingTimer);
  recordingTimer = rec.active ? setInterval(tick, 1000) : null;
}

/** 正在直播 only while the media really leaves this page. */
function renderMediaState(): void {
  const flowing = session?.flowing ?? false;
  mediaState.textContent = publishing ? t(flowing ? 'mediaPublishing' : 'mediaConnecting') : t('mediaIdle');
  mediaState.dataset.active = String(publishing && flowing);
}

function render(s: LessonState): void {
  renderLessonHeader(s);
  startBtn.hidden = s.status !== 'scheduled';
  endBtn.hidden = s.status !== 'live';
  republishBtn.hidden = !(s.status === 'live' && !publishing);
  renderMediaState();
  shareBtn.hidden = !(s.status === 'live' && publishing);
  shareBtn.textContent = screen ? t('stopShare') : t('shareScreen');
  renderRecording(s);
  const r = s.reception;
  byId('reception').textContent =
    s.status === 'live'
      ? `${t('reception')}：${t('layerHigh')} ${r.layers[2] ?? 0} · ${t('layerMid')} ${r.layers[1] ?? 0} · ${t('layerLow')} ${r.layers[0] ?? 0} · ${t('audioOnly')} ${r.audioOnly} · ${t('notReceiving')} ${r.none}` +
        // Lowered by the server, not their links: the teacher need not wonder about the schools' networks.
        (r.serverCapped > 0 ? ` · ${t('receptionServerCapped', { n: r.serverCapped })}` : '')
      : '';
  renderSendLimit();
  wall?.render(s);
  renderQuestions(s);
  renderQuiz(s);
  renderLectureAttendance(s);
}

function reconcile(s: LessonState): void {
  if (s.status !== 'live' || !session) {
    receivers.reset();
    return;
  }
  receivers.reconcile(s.producers.filter((p) => p.ownerClassroomId !== null));
}

/**
 * Media broke (ICE gave up, the server dropped a transport, a worker died): start over,
 * retrying with backoff while the server recovers.
 */
function dropSession(): void {
  session?.close();
  session = null;
  publishing = false;
  receivers.reset();
}

function rebuild(): void {
  dropSession();
  void (async () => {
    for (let attempt = 0; attempt < 8; attempt++) {
      // Without signalling nothing can be set up; reconnecting publishes again.
      if (state?.status !== 'live' || !localStream || publishing || !shell?.socket.connected) return;
      try {
        await publish();
        message.textContent = '';
        return;
      } catch (err) {
        showError(err);
        dropSession();
        await new Promise((r) => setTimeout(r, Math.min(4000, 500 * 2 ** attempt)));
      }
    }
  })();
}

async function toggleScreen(): Promise<void> {
  if (!session) return;
  if (screen) {
    screen.getTracks().forEach((tr) => tr.stop());
    screen = null;
    await session.unpublish('screen');
    return;
  }
  try {
    screen = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 10 } }, audio: false });
  } catch {
    message.textContent = t('screenError');
    return;
  }
  const track = screen.getVideoTracks()[0];
  if (!track) return;
  track.contentHint = 'detail';
  // The browser's own "stop sharing" button ends the track.
  track.addEventListener('ended', () => {
    if (screen) void toggleScreen().then(() => state && render(state));
  });
  await session.publish(track, 'screen', { maxBitrate: 1_500_000 });
}

function showError(err: unknown): void {
  if (err instanceof RequestError && err.code === 'STORAGE_FULL') message.textContent = t('storageFull');
  else message.textContent = err instanceof Error ? err.message : String(err);
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
  receivers.reset();
  session = new MediaSession(shell.socket);
  session.onBroken = rebuild;
  const video = stream.getVideoTracks()[0];
  const audio = stream.getAudioTracks()[0];
  if (audio) await session.publish(audio, 'microphone');
  if (video) await session.publish(video, 'camera', { simulcast: CAMERA_SIMULCAST });
  const shared = screen?.getVideoTracks()[0];
  if (shared && shared.readyState === 'live') await session.publish(shared, 'screen', { maxBitrate: 1_500_000 });
  publishing = true;
  if (state) {
    reconcile(state);
    render(state);
  }
}

if (shell) {
  const { socket } = shell;
  wireLessonEvents(socket, {
    onState: (s) => {
      state = s;
      reconcile(s);
      render(s);
    },
    onConsumerClosed: (id) => receivers.consumerClosed(id),
    rebuild,
    onMediaLost: dropSession,
  });
  shareBtn.addEventListener('click', () => {
    toggleScreen().then(() => state && render(state), showError);
  });
  socket.on('connect', () => {
    void (async () => {
      try {
        state = await request(socket, 'lesson:sync', {});
        render(state);
        // Our media carried on across the drop unless the server said otherwise (media:session,
        // which comes first and drops the session): then publish again.
        if (state.status === 'live' && localStream && !publishing) await publish();
      } catch (err) {
        showError(err);
      }
    })();
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

  recordBtn.addEventListener('click', () => {
    const on = state?.recording.active ?? false;
    recordBtn.disabled = true;
    request(socket, on ? 'recording:stop' : 'recording:start', {})
      .catch(showError)
      .finally(() => (recordBtn.disabled = false));
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
        receivers.reset();
        localStream?.getTracks().forEach((tr) => tr.stop());
        localStream = null;
        screen?.getTracks().forEach((tr) => tr.stop());
        screen = null;
        preview.srcObject = null;
        render(state);
      } catch (err) {
        showError(err);
      }
    })();
  });
}

// For tests and support: read-only views of what the page is doing.
Object.assign(window, {
  tongke: {
    state: () => state,
    sessions: sessionCount,
    publishing: () => publishing,
    stats: async () => (session ? session.receiveStats() : emptyReceiveStats()),
  },
});
