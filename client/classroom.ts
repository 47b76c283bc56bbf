import type { LessonState } from '../shared/lesson.js';
import { qualityModeSchema, type ProducerInfo, type QualityMode } from '../shared/media.js';
import { deviceAccess } from './classroom/deviceAccess.js';
import { handPanel } from './classroom/handPanel.js';
import { linkPanel } from './classroom/linkPanel.js';
import { followTimetable, nextLessonBySession } from './classroom/nextLesson.js';
import { quizPanel } from './classroom/quizPanel.js';
import { attendanceForm } from './lib/attendanceForm.js';
import { classroomWall } from './lib/classroomWall.js';
import { byId, el, tokenFromLocation } from './lib/dom.js';
import { layerName, t } from './lib/i18n.js';
import { emptyReceiveStats, MediaSession, sessionCount } from './lib/media.js';
import { sessionReach, watchMediaReach } from './lib/mediaReach.js';
import { attachTrack, detachTrack, playWithSound } from './lib/players.js';
import { Receivers } from './lib/receivers.js';
import { renderLessonHeader, startShell, wireLessonEvents } from './lib/shell.js';
import { request, RequestError } from './lib/socket.js';

/** The classroom's own picture for the teacher's wall: small, so weak uplinks cope. */
const CAMERA: MediaTrackConstraints = { width: { ideal: 320 }, height: { ideal: 240 }, frameRate: { ideal: 15 } };
const CAMERA_MAX_BITRATE = 250_000;

let state: LessonState | null = null;
let session: MediaSession | null = null;
let localStream: MediaStream | null = null;
let publishing: Promise<void> | null = null;

const video = byId<HTMLVideoElement>('teacher-video');
const pip = byId<HTMLVideoElement>('teacher-pip');
const qualitySelect = byId<HTMLSelectElement>('quality');
/**
 * The mode just chosen, until the server's state shows it. On a weak link that can take
 * seconds, and a state pushed meanwhile (a score change) would otherwise put the old mode
 * back in the list and in the advice.
 */
let pendingMode: QualityMode | null = null;
const chosenMode = (s: LessonState): QualityMode => pendingMode ?? s.viewer.qualityMode;
/** The teacher's video tracks by source: a shared screen takes the big picture, the camera goes small. */
const teacherVideo: { camera: MediaStreamTrack | null; screen: MediaStreamTrack | null } = { camera: null, screen: null };

function placeTeacherVideo(): void {
  const main = teacherVideo.screen ?? teacherVideo.camera;
  const small = teacherVideo.screen ? teacherVideo.camera : null;
  if (main) attachTrack(video, main);
  else detachTrack(video, 'video');
  pip.hidden = !small;
  if (small) attachTrack(pip, small);
  else detachTrack(pip, 'video');
}
const audio = byId<HTMLAudioElement>('teacher-audio');
const soundBtn = byId<HTMLButtonElement>('enable-sound');
const overlay = byId('overlay');
const mediaState = byId('media-state');
const stageSide = byId('stage-side');
const stageTiles = byId('stage-tiles');
const selfView = byId<HTMLVideoElement>('self-view');
const cameraState = byId('camera-state');

/** Without a link token, the classroom PC signs in with its enrolled device credential. */
const device = deviceAccess({
  showEnrol: (on) => {
    byId('enrol-main').hidden = !on;
    byId('lesson-main').hidden = on;
    document.body.classList.toggle('enrolling', on);
  },
  notice: (text) => {
    overlay.hidden = false;
    overlay.textContent = text;
  },
});
const shell = startShell(
  () => {
    device.relabel();
    if (state) render(state);
  },
  device,
  () => session?.flowing ?? false,
);

/** Players for classrooms on stage, by classroom id. */
const stagePlayers = new Map<string, { video: HTMLVideoElement; audio: HTMLAudioElement; box: HTMLElement }>();

function stagePlayer(classroomId: string) {
  let p = stagePlayers.get(classroomId);
  if (!p) {
    const v = el('video', { className: 'side-video' });
    v.autoplay = true;
    v.muted = true;
    v.playsInline = true;
    const a = el('audio');
    a.autoplay = true;
    const label = el('div', { className: 'hint', dataset: { classroom: classroomId } });
    p = { video: v, audio: a, box: el('div', { className: 'stage-tile' }, [v, a, label]) };
    stagePlayers.set(classroomId, p);
    stageTiles.append(p.box);
  }
  return p;
}

/** An inspector's (巡课) wall of every receiving classroom, made once the state says who we are. */
let wall: ReturnType<typeof classroomWall> | null = null;

const receivers = new Receivers(
  () => session,
  (info, track) => {
    const owner = info.ownerClassroomId;
    const tile = owner !== null ? wall?.player(owner, track.kind) : null;
    if (tile) {
      attachTrack(tile, track);
      if (tile instanceof HTMLAudioElement) playWithSound(tile, soundBtn);
      return;
    }
    if (owner === null && track.kind === 'video') {
      teacherVideo[info.source === 'screen' ? 'screen' : 'camera'] = track;
      placeTeacherVideo();
      if (state) render(state);
      return;
    }
    const target = owner === null ? audio : track.kind === 'video' ? stagePlayer(owner).video : stagePlayer(owner).audio;
    attachTrack(target, track);
    if (target instanceof HTMLAudioElement) playWithSound(target, soundBtn);
    if (state) render(state);
  },
  (info) => {
    const owner = info.ownerClassroomId;
    const tile = owner !== null ? wall?.player(owner, info.kind) : null;
    if (tile) {
      detachTrack(tile, info.kind);
      return;
    }
    if (owner === null && info.kind === 'video') {
      teacherVideo[info.source === 'screen' ? 'screen' : 'camera'] = null;
      placeTeacherVideo();
    } else if (owner === null) {
      detachTrack(audio, 'audio');
    } else {
      const p = stagePlayers.get(owner);
      if (p) {
        p.box.remove();
        stagePlayers.delete(owner);
      }
    }
    if (state) render(state);
  },
);

/** The teacher, and every other classroom that is on stage; an inspector every classroom's picture too. */
function wanted(s: LessonState): ProducerInfo[] {
  return s.producers.filter(
    (p) =>
      p.ownerClassroomId === null ||
      (p.ownerClassroomId !== s.viewer.classroomId && s.stage.classroomIds.includes(p.ownerClassroomId)) ||
      (s.viewer.role === 'inspector' && p.kind === 'video'),
  );
}

/** Publishes our low-resolution camera and (server-muted) microphone once per session. */
function publishOwn(s: MediaSession): Promise<void> {
  publishing ??= (async () => {
    try {
      localStream ??= await navigator.mediaDevices.getUserMedia({ video: CAMERA, audio: { echoCancellation: true } });
      selfView.srcObject = localStream;
      cameraState.textContent = '';
    } catch {
      cameraState.textContent = t('cameraOff');
      return;
    }
    const cam = localStream.getVideoTracks()[0];
    const mic = localStream.getAudioTracks()[0];
    if (cam) await s.publish(cam, 'camera', { maxBitrate: CAMERA_MAX_BITRATE });
    if (mic) await s.publish(mic, 'microphone');
  })().catch((err: unknown) => {
    console.warn('publish failed', err);
    publishing = null;
  });
  return publishing;
}

/** Brings our media in line with the server's state; safe to call any time. */
function reconcile(s: LessonState): void {
  if (!shell) return;
  if (s.status !== 'live') {
    closeMedia();
    return;
  }
  if (!session || warmed) {
    session ??= newSession();
    warmed = false;
    // An inspector watches; it never publishes (the server would refuse it anyway).
    if (s.viewer.role !== 'inspector') void publishOwn(session);
  }
  receivers.reconcile(wanted(s));
}

/** A session set up before the state said the lesson is live (see onMediaLost): it has not published yet. */
let warmed = false;

function newSession(): MediaSession {
  const s = new MediaSession(shell!.socket);
  s.onBroken = rebuild;
  return s;
}

/** Media broke (ICE gave up, the server dropped a transport, a worker died): start over. */
function rebuild(): void {
  closeMedia();
  // Without signalling the new session could not be set up; the state after reconnecting will.
  if (state && shell?.socket.connected) reconcile(state);
}

function closeMedia(): void {
  session?.close();
  session = null;
  warmed = false;
  publishing = null;
  receivers.reset();
}

const renderAttendance = shell
  ? attendanceForm(
      shell.socket,
      { expected: 'expected', present: 'present', submit: 'attendance-submit', message: 'attendance-message' },
      (s) => s.classrooms.find((c) => c.classroomId === s.viewer.classroomId)?.attendance ?? null,
    )
  : () => {};
const renderHand = shell ? handPanel(shell.socket) : () => {};
const renderQuiz = shell ? quizPanel(shell.socket) : () => {};
const renderLink = shell ? linkPanel({ state: () => state, session: () => session, mode: chosenMode }) : () => {};
/**
 * Once this lesson has ended the page moves on to the classroom's next one: a classroom PC (no
 * link token) through its device credential, a signed-in assistant through its login session.
 */
const onDevice = shell !== null && tokenFromLocation() === null;
const followNext = shell
  ? followTimetable({
      socket: shell.socket,
      nextLesson: onDevice ? device.nextLesson : (lessonId) => nextLessonBySession(shell.socket, lessonId),
    })
  : () => {};
if (shell) {
  watchMediaReach(byId('media-blocked'), sessionReach(() => state?.status === 'live', () => session), renderMediaState);
}

let receivingWanted = false;

/** 正在接收 only while the media really arrives, not while it tries to get through. */
function renderMediaState(): void {
  const flowing = session?.flowing ?? false;
  mediaState.textContent = receivingWanted ? t(flowing ? 'mediaReceiving' : 'mediaConnecting') : t('mediaIdle');
  mediaState.dataset.active = String(receivingWanted && flowing);
}

/** The server lowered the picture to keep up (load shedding): say so, lest the assistant blame the network. */
function renderServerBusy(s: LessonState): void {
  const box = byId('server-busy');
  // The server sends a cap only where it lowers what this classroom's mode asks for.
  const cap = s.status === 'live' ? s.viewer.serverLayerCap : null;
  box.hidden = cap === null;
  box.textContent = cap === null ? '' : t('serverBusyCap', { layer: t(layerName(cap)) });
}

function render(s: LessonState): void {
  renderLessonHeader(s);
  document.body.dataset.role = s.viewer.role;
  byId('role-label').textContent = t(s.viewer.role === 'inspector' ? 'inspectorWatching' : 'roleClassroom');
  if (s.viewer.role === 'inspector') {
    // 巡课 sees the receiving classrooms as the teacher's wall shows them, without its controls.
    wall ??= classroomWall(null);
    byId('inspect-wall').hidden = false;
    wall.render(s);
  }
  document.body.dataset.quiz = s.quiz?.status ?? 'none';
  const me = s.classrooms.find((c) => c.classroomId === s.viewer.classroomId);
  byId('classroom-name').textContent = me ? `${me.schoolName} ${me.name}` : '';
  const receiving = s.status === 'live' && s.producers.some((p) => p.ownerClassroomId === null && receivers.has(p.producerId));
  overlay.hidden = receiving;
  overlay.textContent =
    s.status === 'ended' ? t(onDevice ? 'lessonEndedNext' : 'lessonEnded') : s.teacherOnline || s.status === 'live' ? t('waitingTeacher') : t('teacherOffline');
  receivingWanted = receiving;
  renderMediaState();
  byId('on-stage-banner').hidden = !me?.onStage;
  if (pendingMode === s.viewer.qualityMode) pendingMode = null;
  if (document.activeElement !== qualitySelect) qualitySelect.value = chosenMode(s);
  qualitySelect.disabled = s.status !== 'live';
  byId('audio-only').hidden = s.viewer.qualityMode !== 'audio';
  renderServerBusy(s);
  renderLink(s);
  stageSide.hidden = stagePlayers.size === 0;
  for (const [id, p] of stagePlayers) {
    const c = s.classrooms.find((x) => x.classroomId === id);
    const label = p.box.querySelector<HTMLElement>('[data-classroom]');
    if (label) label.textContent = c ? `${c.schoolName} ${c.name}` : id;
  }
  renderAttendance(s);
  renderHand(s);
  renderQuiz(s);
  followNext(s);
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
    onMediaLost: () => {
      closeMedia();
      // The server holds no media for this page (its first connection, or it lost them): start
      // receiving now, while lesson:sync is under way, not after it (MediaSession.prepareReceiving).
      if (!state || state.status === 'live') {
        session = newSession();
        warmed = true;
        session.prepareReceiving();
      }
      if (state) render(state);
    },
  });
  /**
   * Sends the assistant's choice. Refused: the page shows the server's mode again. Lost (the
   * signalling dropped, as it does on a link too weak for the picture, while sound flows on):
   * the choice stands and goes again once the socket is back, since 仅音频 is what frees that link.
   */
  const sendMode = (mode: QualityMode) => {
    request(socket, 'media:setQuality', { mode }).catch((err: unknown) => {
      const lost = (err instanceof RequestError && err.code === 'TIMEOUT') || !socket.connected;
      if (!lost && pendingMode === mode) pendingMode = null;
      // Lost on a socket still up (its TCP stalled behind the media): try again; idempotent.
      else if (lost && pendingMode === mode && socket.connected) sendMode(mode);
      if (state) render(state);
      console.warn(err);
    });
  };
  qualitySelect.addEventListener('change', () => {
    const mode = qualityModeSchema.safeParse(qualitySelect.value);
    if (!mode.success) return;
    pendingMode = mode.data;
    if (state) render(state);
    sendMode(mode.data);
  });
  socket.on('connect', () => {
    void request(socket, 'lesson:sync', {}).then(
      (s) => {
        state = s;
        reconcile(s);
        render(s);
        if (pendingMode && pendingMode !== s.viewer.qualityMode) sendMode(pendingMode);
      },
      (err: unknown) => console.warn('sync failed', err),
    );
  });
  soundBtn.addEventListener('click', () => {
    playWithSound(audio, soundBtn);
    for (const p of stagePlayers.values()) playWithSound(p.audio, soundBtn);
  });
}

Object.assign(window, {
  tongke: {
    state: () => state,
    sessions: sessionCount,
    stats: async () => (session ? session.receiveStats() : emptyReceiveStats()),
    receivingFrom: () => [...stagePlayers.keys()],
    /** What we decode from classrooms on stage (not from the teacher). */
    stageStats: async () => {
      const ids = new Set((state?.producers ?? []).filter((p) => p.ownerClassroomId !== null).map((p) => p.producerId));
      return session ? session.receiveStats(ids) : emptyReceiveStats();
    },
  },
});
