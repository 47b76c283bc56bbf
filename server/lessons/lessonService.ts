import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import type { LessonState } from '../../shared/lesson.js';
import type { MediaKind, MediaSource, ProducerInfo, QualityMode } from '../../shared/media.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { LessonMedia } from '../media/lessonMedia.js';
import type { DiskRoom } from '../store/diskRoom.js';
import type { RecordingStore } from '../store/recordingStore.js';
import type { LessonEventType, Store } from '../store/types.js';
import { buildView, lessonProducers } from './lessonView.js';
import type { Resolution } from './questionQueue.js';
import { LessonRecording } from './recording.js';
import { replayLog } from './replay.js';
import {
  createRuntime,
  identityOf,
  reportingClassroom,
  sideOf,
  type Participant,
  type Runtime,
} from './runtime.js';

export type { Participant } from './runtime.js';

export type LessonServiceEvents = {
  stateChanged: [lessonId: string];
  producerAdded: [lessonId: string, info: ProducerInfo];
  producerClosed: [lessonId: string, producerId: string];
  consumerClosed: [lessonId: string, peerId: string, consumerId: string];
  transportClosed: [lessonId: string, peerId: string, transportId: string];
  /** The lesson's media was lost (a worker died) and will be rebuilt: clients set up again. */
  mediaReset: [lessonId: string, reason: string];
};

export interface LessonServiceOptions {
  maxOnStage: number;
  /** 录播: where segment files go and their index; absent, recording is refused. */
  recordings?: { dir: string; store: RecordingStore; ffmpeg?: string; room: DiskRoom };
}

const newId = (prefix: string) => `${prefix}-${randomBytes(6).toString('hex')}`;

const TEACHER_SOURCES: readonly MediaSource[] = ['camera', 'microphone', 'screen'];
const CLASSROOM_SOURCES: readonly MediaSource[] = ['camera', 'microphone'];

/**
 * A lesson's lifecycle (scheduled → live → ended), presence, media permissions and the
 * classroom coordination (attendance, questions, stage, quiz), each step written to the
 * durable log. Knows nothing of Socket.IO or HTTP: the realtime layer listens to its events.
 */
export class LessonService extends EventEmitter<LessonServiceEvents> {
  private readonly runtimes = new Map<string, Runtime>();

  constructor(
    private readonly store: Store,
    private readonly createMedia: () => Promise<LessonMedia>,
    private readonly log: Logger,
    private readonly options: LessonServiceOptions = { maxOnStage: 2 },
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  /**
   * A lesson left live by a crash or restart is resumed explicitly, and the log says so:
   * the teacher reconnects and publishes again; nothing is left silently open.
   */
  resumeInterruptedLessons(): string[] {
    const live = this.store.listLessons({ status: 'live' });
    for (const l of live) {
      this.store.appendEvent({ lessonId: l.id, at: this.now(), type: 'lesson_resumed_after_restart', classroomId: null, data: {} });
      this.log.warn({ lessonId: l.id }, 'lesson was live when the server stopped: resumed');
    }
    return live.map((l) => l.id);
  }

  private runtime(lessonId: string): Runtime {
    const cached = this.runtimes.get(lessonId);
    if (cached) return cached;
    const record = this.store.getLesson(lessonId);
    if (!record) throw new AppError('NOT_FOUND', 'unknown lesson');
    const lecture = this.store.getClassroom(record.lectureClassroomId);
    if (!lecture) throw new AppError('NOT_FOUND', 'lesson has no lecture classroom');
    const rt = createRuntime(record, lecture, this.store.lessonClassrooms(lessonId), this.options.maxOnStage);
    // Nothing of this lesson is in memory: after a restart its log is all there is.
    const { onStage, recordingSince } = replayLog(rt, this.store.listEvents(lessonId), this.store.questionTexts(lessonId), this.log);
    // In the cache before anything below tells listeners: they read the state through here.
    this.runtimes.set(lessonId, rt);
    if (record.status !== 'ended') {
      // Left on stage by a process that died: off it now, so the log says when it ended.
      for (const classroomId of onStage) this.record(rt, 'stage_off', classroomId, { reason: 'restart' });
      // Recording stays on across a restart: the next segment starts once the teacher publishes.
      // A disk that filled up while the server was down turns it off, as it would have mid-lesson.
      if (recordingSince !== null && this.options.recordings && this.recordingOf(rt).start(recordingSince) === 'no_room') {
        this.recordingHalted(rt);
      }
    }
    return rt;
  }

  /** `at`: the clock reading the runtime was given, so a restart rebuilds it with the same time. */
  private record(rt: Runtime, type: LessonEventType, classroomId: string | null, data: Record<string, unknown> = {}, at = this.now()) {
    this.store.appendEvent({ lessonId: rt.record.id, at, type, classroomId, data });
  }

  private changed(rt: Runtime): void {
    rt.version++;
    this.emit('stateChanged', rt.record.id);
  }

  private live(lessonId: string): Runtime {
    const rt = this.runtime(lessonId);
    if (rt.record.status !== 'live') throw new AppError('CONFLICT', 'lesson is not live');
    return rt;
  }

  private receiving(rt: Runtime, classroomId: string) {
    const c = rt.classrooms.find((x) => x.id === classroomId);
    if (!c) throw new AppError('NOT_FOUND', 'no such classroom in this lesson');
    return c;
  }

  /**
   * The administrator changed a scheduled lesson's plan (title, rooms, times): reload it so
   * the pages already open show the new plan instead of the cached one.
   */
  planChanged(lessonId: string): void {
    const rt = this.runtimes.get(lessonId);
    if (!rt) return;
    const record = this.store.getLesson(lessonId);
    const lecture = record ? this.store.getClassroom(record.lectureClassroomId) : null;
    if (!record || !lecture) return;
    rt.record = record;
    rt.lecture = lecture;
    rt.classrooms = this.store.lessonClassrooms(lessonId);
    this.changed(rt);
  }

  /** Throws unless the classroom is one of the lesson's receiving classrooms. */
  assertParticipant(lessonId: string, p: Participant): void {
    const rt = this.runtime(lessonId);
    if (p.kind === 'classroom' && !rt.classrooms.some((c) => c.id === p.classroomId)) {
      throw new AppError('FORBIDDEN', 'this classroom is not invited to this lesson');
    }
  }

  state(lessonId: string, viewer: Participant): LessonState {
    return buildView(this.runtime(lessonId), viewer);
  }

  // ——— presence ———

  /**
   * A connection joined for a peer. A peer already here is a page coming back after its
   * signalling dropped: presence never changed. Returns whether its media is still held, so the
   * page carries on with it instead of setting up anew.
   */
  join(lessonId: string, p: Participant, peerId: string): { resumed: boolean } {
    this.assertParticipant(lessonId, p);
    const rt = this.runtime(lessonId);
    if (rt.peers.has(peerId)) {
      if (rt.signalLost.delete(peerId)) this.changed(rt);
      return { resumed: rt.media?.hasMedia(peerId) ?? false };
    }
    rt.peers.set(peerId, p);
    const fresh = { resumed: false };
    // An inspector watches unseen: no presence, no log entry, no state change for others.
    if (p.kind === 'inspector') return fresh;
    if (rt.presence.add(identityOf(p))) {
      this.record(rt, p.kind === 'teacher' ? 'teacher_joined' : 'classroom_joined', p.kind === 'classroom' ? p.classroomId : null);
      this.changed(rt);
    }
    return fresh;
  }

  /** The peer's socket dropped; its media flows on and the page may come back (join again). */
  signalLost(lessonId: string, peerId: string): void {
    const rt = this.runtimes.get(lessonId);
    if (!rt?.peers.has(peerId) || rt.signalLost.has(peerId)) return;
    rt.signalLost.add(peerId);
    this.changed(rt);
  }

  /** What the peer's media has received from its page so far; null when it holds none. */
  async peerBytesReceived(lessonId: string, peerId: string): Promise<number | null> {
    const media = this.runtimes.get(lessonId)?.media;
    if (!media?.hasMedia(peerId)) return null;
    return media.bytesReceived(peerId);
  }

  /** A connection left: closes its media and updates presence and stage. */
  leave(lessonId: string, p: Participant, peerId: string): void {
    const rt = this.runtimes.get(lessonId);
    if (!rt?.peers.has(peerId)) return;
    rt.peers.delete(peerId);
    rt.signalLost.delete(peerId);
    rt.mediaBlocked.delete(peerId);
    rt.media?.closePeer(peerId);
    if (p.kind === 'inspector') return;
    const identity = identityOf(p);
    if (rt.publishers.get(identity) === peerId) rt.publishers.delete(identity);
    if (rt.presence.remove(identity)) {
      const classroomId = p.kind === 'classroom' ? p.classroomId : null;
      this.record(rt, p.kind === 'teacher' ? 'teacher_left' : 'classroom_left', classroomId);
      if (classroomId && rt.stage.remove(classroomId)) this.record(rt, 'stage_off', classroomId, { reason: 'left' });
      if (classroomId) {
        rt.quality.forget(classroomId);
        rt.mediaReceived.delete(classroomId);
      }
    }
    this.changed(rt);
  }

  // ——— lifecycle ———

  async start(lessonId: string): Promise<void> {
    const rt = this.runtime(lessonId);
    if (rt.record.status !== 'scheduled') {
      throw new AppError('CONFLICT', rt.record.status === 'live' ? 'lesson is already live' : 'lesson has ended');
    }
    // Media first: if the worker cannot serve the lesson, it does not go live.
    await this.media(lessonId, { create: true });
    // The log says by which rule its reach is audited: only classrooms whose media got through.
    rt.record = this.store.transitionLesson(lessonId, 'scheduled', 'live', {
      type: 'lesson_started',
      at: this.now(),
      data: { reachRule: 'media' },
    });
    this.log.info({ lessonId }, 'lesson started');
    this.changed(rt);
  }

  async end(lessonId: string): Promise<void> {
    const rt = this.live(lessonId);
    const quiz = rt.quiz.view(null, sideOf(rt));
    if (quiz?.status === 'open') this.closeQuiz(lessonId, quiz.quizId);
    await this.stopRecording(lessonId, 'lesson_ended');
    rt.record = this.store.transitionLesson(lessonId, 'live', 'ended', { type: 'lesson_ended', at: this.now() });
    for (const id of rt.stage.list()) rt.stage.remove(id);
    rt.media?.close();
    rt.media = null;
    rt.publishers.clear();
    this.log.info({ lessonId }, 'lesson ended');
    this.changed(rt);
  }

  // ——— media ———

  /**
   * The lesson's media. Exists only while the lesson is live (or starting); after a
   * restart a live lesson gets fresh media on first use.
   */
  async media(lessonId: string, opts: { create?: boolean } = {}): Promise<LessonMedia> {
    const rt = this.runtime(lessonId);
    if (rt.media && !rt.media.isClosed) return rt.media;
    if (rt.record.status !== 'live' && !opts.create) throw new AppError('CONFLICT', 'lesson is not live');
    if (rt.record.status === 'ended') throw new AppError('CONFLICT', 'lesson has ended');
    rt.mediaStarting ??= this.createMedia()
      .then((m) => {
        this.wireMedia(rt, m);
        rt.media = m;
        return m;
      })
      .finally(() => {
        rt.mediaStarting = null;
      });
    return rt.mediaStarting;
  }

  private wireMedia(rt: Runtime, m: LessonMedia): void {
    const lessonId = rt.record.id;
    m.on('producerAdded', (peerId, info) => {
      const p = rt.peers.get(peerId);
      if (!p) return;
      this.emit('producerAdded', lessonId, { ...info, ownerClassroomId: p.kind === 'classroom' ? p.classroomId : null });
      this.changed(rt);
    });
    m.on('producerClosed', (_peerId, producerId) => {
      this.emit('producerClosed', lessonId, producerId);
      this.changed(rt);
    });
    m.on('consumerClosed', (peerId, consumerId) => this.emit('consumerClosed', lessonId, peerId, consumerId));
    m.on('transportClosed', (peerId, transportId) => this.emit('transportClosed', lessonId, peerId, transportId));
    m.on('layersChanged', () => this.changed(rt));
    m.on('failed', (reason) => {
      // The lesson stays live: fresh media is created on the next request and every
      // client is told to set its media up again.
      if (rt.media === m) rt.media = null;
      rt.publishers.clear();
      rt.mediaBlocked.clear();
      this.record(rt, 'media_quality_incident', null, { kind: 'media_reset', reason });
      this.log.error({ lessonId, reason }, 'lesson media lost: clients will reconnect');
      this.emit('mediaReset', lessonId, reason);
      this.changed(rt);
    });
    m.on('peerReach', (peerId, blocked) => {
      const p = rt.peers.get(peerId);
      // A page that left takes its mark with it; that is no recovery to log.
      if (!p || p.kind === 'inspector') {
        rt.mediaBlocked.delete(peerId);
        return;
      }
      if (blocked) rt.mediaBlocked.add(peerId);
      else rt.mediaBlocked.delete(peerId);
      // The log shows a classroom that was online but never saw or heard the lesson.
      this.record(rt, 'media_quality_incident', p.kind === 'classroom' ? p.classroomId : null, {
        kind: blocked ? 'media_unreachable' : 'media_reachable',
      });
      this.changed(rt);
    });
    m.on('receiving', (peerId) => {
      const p = rt.peers.get(peerId);
      // Evidence for the audit that the lesson reached the classroom, not only that it was online.
      if (p?.kind !== 'classroom' || rt.mediaReceived.has(p.classroomId) || rt.record.status !== 'live') return;
      rt.mediaReceived.add(p.classroomId);
      this.record(rt, 'media_received', p.classroomId);
    });
    m.on('peerScore', (peerId, score) => {
      const p = rt.peers.get(peerId);
      if (p?.kind !== 'classroom') return;
      const crossing = rt.quality.record(p.classroomId, score);
      if (crossing) this.record(rt, 'media_quality_incident', p.classroomId, { kind: crossing, score });
      this.changed(rt);
    });
  }

  /** Publishes a source for a participant; a classroom's microphone stays muted off stage. */
  async produce(
    lessonId: string,
    p: Participant,
    peerId: string,
    req: { transportId: string; kind: MediaKind; source: MediaSource; rtpParameters: types.RtpParameters },
  ): Promise<string> {
    // The permission table already refuses an inspector; the domain refuses it again.
    if (p.kind === 'inspector') throw new AppError('FORBIDDEN', 'an inspector may not publish');
    const allowed = p.kind === 'teacher' ? TEACHER_SOURCES : CLASSROOM_SOURCES;
    if (!allowed.includes(req.source)) throw new AppError('FORBIDDEN', `a classroom may not publish ${req.source}`);
    if ((req.source === 'microphone') !== (req.kind === 'audio')) {
      throw new AppError('BAD_REQUEST', `${req.source} must be ${req.source === 'microphone' ? 'audio' : 'video'}`);
    }
    const media = await this.media(lessonId);
    const rt = this.runtime(lessonId);
    const identity = identityOf(p);
    const previous = rt.publishers.get(identity);
    if (previous && previous !== peerId) media.closePeer(previous);
    rt.publishers.set(identity, peerId);
    const muted = p.kind === 'classroom' && req.source === 'microphone' && !rt.stage.has(p.classroomId);
    const info = await media.produce(peerId, req.transportId, req.kind, req.source, req.rtpParameters, {
      paused: muted,
      broadcast: p.kind === 'teacher' || (p.kind === 'classroom' && rt.stage.has(p.classroomId)),
    });
    // A new picture changes what the recording's segment holds: a screen replaces the camera,
    // and a camera back beside a screen is recorded in its corner. Either starts a segment anew.
    const sharing = media.producersOf(peerId).some((x) => x.source === 'screen');
    if (p.kind === 'teacher' && (req.source === 'screen' || (req.source === 'camera' && sharing))) void rt.recording?.switchSources();
    else if (p.kind === 'teacher') rt.recording?.sourcesChanged();
    return info.producerId;
  }

  /** Receives a producer the participant may receive, in its chosen quality mode. */
  async consume(
    lessonId: string,
    p: Participant,
    peerId: string,
    req: { transportId: string; producerId: string; rtpCapabilities: types.RtpCapabilities },
  ) {
    const media = await this.media(lessonId);
    const rt = this.runtime(lessonId);
    const mode = p.kind === 'classroom' ? (rt.qualityModes.get(p.classroomId) ?? 'auto') : 'auto';
    if (media.qualityMode(peerId) !== mode) await media.setQualityMode(peerId, mode);
    return media.consume(peerId, req.transportId, req.producerId, req.rtpCapabilities, this.consumableProducerIds(lessonId, p));
  }

  /** 自动 / 高清 / 流畅 / 仅音频, chosen by a classroom and enforced by the server. */
  async setQualityMode(lessonId: string, p: Participant, peerId: string, mode: QualityMode): Promise<void> {
    const rt = this.live(lessonId);
    if (p.kind === 'inspector') {
      // An inspector's choice is its own connection's: nothing in the lesson's state changes.
      await rt.media?.setQualityMode(peerId, mode);
      return;
    }
    if (p.kind === 'classroom' && (rt.qualityModes.get(p.classroomId) ?? 'auto') !== mode) {
      rt.qualityModes.set(p.classroomId, mode);
      // Logged so that a restart keeps a classroom on a weak link on the mode it chose.
      this.record(rt, 'quality_mode_set', p.classroomId, { mode });
    }
    await rt.media?.setQualityMode(peerId, mode);
    this.changed(rt);
  }

  /**
   * What a connection may receive: the teacher receives every classroom (the wall); a
   * classroom receives the teacher and the classrooms on stage, never itself; an inspector
   * (巡课) receives what every classroom sees (the teacher and the stage) and every classroom's
   * picture, as the teacher's wall shows it (实时查看各成员校区的教室教学), but a classroom's
   * sound only while it is on stage, as everybody else.
   */
  consumableProducerIds(lessonId: string, viewer: Participant): Set<string> {
    const rt = this.runtime(lessonId);
    const ids = new Set<string>();
    for (const prod of lessonProducers(rt)) {
      const owner = prod.ownerClassroomId;
      const ok =
        viewer.kind === 'teacher'
          ? owner !== null
          : viewer.kind === 'inspector'
            ? owner === null || rt.stage.has(owner) || prod.kind === 'video'
            : owner === null || (owner !== viewer.classroomId && rt.stage.has(owner));
      if (ok) ids.add(prod.producerId);
    }
    return ids;
  }

  // ——— attendance ———

  reportAttendance(lessonId: string, p: Participant, counts: { expected: number; present: number }): void {
    const rt = this.runtime(lessonId);
    if (rt.record.status === 'ended') throw new AppError('CONFLICT', 'lesson has ended');
    const classroomId = reportingClassroom(rt, p);
    const at = this.now();
    const { first } = rt.attendance.report(classroomId, counts, at);
    this.record(rt, first ? 'attendance_reported' : 'attendance_corrected', classroomId, counts, at);
    this.changed(rt);
  }

  // ——— questions ———

  raiseQuestion(lessonId: string, classroomId: string, text: string | undefined): string {
    const rt = this.live(lessonId);
    const questionId = newId('q');
    const clean = text ? text : null;
    // One clock reading for both: a restart rebuilds the queue from the log's time.
    const at = this.now();
    rt.questions.raise({ questionId, classroomId, text: clean, raisedAt: at });
    this.store.appendQuestion(
      { lessonId, at, type: 'question_raised', classroomId, data: { questionId, hasText: clean !== null } },
      clean,
    );
    this.changed(rt);
    return questionId;
  }

  withdrawQuestion(lessonId: string, classroomId: string, questionId: string): void {
    const rt = this.live(lessonId);
    rt.questions.withdraw(classroomId, questionId);
    this.record(rt, 'question_withdrawn', classroomId, { questionId });
    this.changed(rt);
  }

  resolveQuestion(lessonId: string, questionId: string, resolution: Resolution): void {
    const rt = this.live(lessonId);
    const q = rt.questions.resolve(questionId, resolution);
    const type = ({ answered: 'question_answered', deferred: 'question_deferred', dismissed: 'question_dismissed' } as const)[resolution];
    this.record(rt, type, q.classroomId, { questionId });
    this.changed(rt);
  }

  // ——— stage ———

  async inviteToStage(lessonId: string, classroomId: string): Promise<void> {
    const rt = this.live(lessonId);
    this.receiving(rt, classroomId);
    if (!rt.presence.has(identityOf({ kind: 'classroom', classroomId }))) {
      throw new AppError('CONFLICT', 'the classroom is offline');
    }
    if (!rt.stage.invite(classroomId)) return;
    this.record(rt, 'stage_on', classroomId);
    const peerId = rt.publishers.get(identityOf({ kind: 'classroom', classroomId }));
    if (peerId && rt.media) {
      await rt.media.setSourcePaused(peerId, 'microphone', false);
      rt.media.setBroadcast(peerId, true);
    }
    this.changed(rt);
  }

  async removeFromStage(lessonId: string, classroomId: string): Promise<void> {
    const rt = this.live(lessonId);
    this.receiving(rt, classroomId);
    if (!rt.stage.remove(classroomId)) return;
    this.record(rt, 'stage_off', classroomId, { reason: 'teacher' });
    const peerId = rt.publishers.get(identityOf({ kind: 'classroom', classroomId }));
    if (peerId && rt.media) {
      await rt.media.setSourcePaused(peerId, 'microphone', true);
      rt.media.setBroadcast(peerId, false);
      // Other classrooms stop receiving it; the teacher and inspectors keep the picture for
      // their walls (its sound is paused above).
      const theirs = new Set(rt.media.producersOf(peerId).map((x) => x.producerId));
      const walls = new Set([...rt.peers].filter(([, who]) => who.kind !== 'classroom').map(([id]) => id));
      rt.media.closeConsumersOf(theirs, walls);
    }
    this.changed(rt);
  }

  // ——— recording (录播) ———

  private recordingOf(rt: Runtime): LessonRecording {
    const opts = this.options.recordings;
    if (!opts) throw new AppError('CONFLICT', 'recording is not available on this server');
    rt.recording ??= new LessonRecording({
      lessonId: rt.record.id,
      dir: opts.dir,
      recordings: opts.store,
      source: async (files) => {
        const peerId = rt.publishers.get(identityOf({ kind: 'teacher' }));
        return peerId && rt.media ? rt.media.record(peerId, files, this.log.child({ lessonId: rt.record.id }), opts.ffmpeg) : null;
      },
      log: this.log.child({ lessonId: rt.record.id }),
      now: this.now,
      changed: () => this.changed(rt),
      room: () => opts.room.enough(),
      halted: () => this.recordingHalted(rt),
    });
    return rt.recording;
  }

  private recordingHalted(rt: Runtime): void {
    const room = this.options.recordings?.room;
    this.log.warn(
      { lessonId: rt.record.id, freeBytes: room?.freeBytes(), minFreeBytes: room?.minFreeBytes },
      'recording stopped: the server is short of disk space',
    );
    this.record(rt, 'recording_stopped', null, { reason: 'storage_full' });
    this.changed(rt);
  }

  /** The teacher turns recording on: its camera and microphone are written from now on. */
  startRecording(lessonId: string): void {
    const rt = this.live(lessonId);
    const at = this.now();
    const started = this.recordingOf(rt).start(at);
    if (started === 'no_room') {
      this.changed(rt);
      throw new AppError('STORAGE_FULL', 'the server is short of disk space: recording stays off until an administrator frees some');
    }
    if (started === 'already') return;
    this.record(rt, 'recording_started', null, {}, at);
    this.changed(rt);
  }

  async stopRecording(lessonId: string, reason: 'teacher' | 'lesson_ended' = 'teacher'): Promise<void> {
    const rt = this.runtime(lessonId);
    if (!(await rt.recording?.stop())) return;
    this.record(rt, 'recording_stopped', null, { reason });
    this.changed(rt);
  }

  /** The server stops: every segment being written is finished, so its file plays. */
  async finishRecordings(): Promise<void> {
    await Promise.all([...this.runtimes.values()].map((rt) => rt.recording?.close()));
  }

  // ——— quiz ———

  openQuiz(lessonId: string, q: { question?: string; options: number; correctOption?: number | null }): string {
    const rt = this.live(lessonId);
    const quizId = newId('quiz');
    const correctOption = q.correctOption ?? null;
    const at = this.now();
    rt.quiz.open({ quizId, question: q.question ? q.question : null, options: q.options, correctOption }, at);
    // The question's text too (the teacher's, not a pupil's), so a restart can show it again.
    this.record(rt, 'quiz_opened', null, { quizId, options: q.options, correctOption, ...(q.question ? { question: q.question } : {}) }, at);
    this.changed(rt);
    return quizId;
  }

  answerQuiz(lessonId: string, p: Participant, quizId: string, counts: number[]): void {
    const rt = this.live(lessonId);
    const classroomId = reportingClassroom(rt, p);
    const present = rt.attendance.get(classroomId)?.present ?? null;
    const at = this.now();
    rt.quiz.answer(quizId, classroomId, counts, present, at);
    this.record(rt, 'quiz_answered', classroomId, { quizId, counts }, at);
    this.changed(rt);
  }

  closeQuiz(lessonId: string, quizId: string): void {
    const rt = this.live(lessonId);
    const at = this.now();
    const result = rt.quiz.close(quizId, at, sideOf(rt));
    this.record(
      rt,
      'quiz_closed',
      null,
      { quizId, counts: result.total.counts, correctOption: result.correctOption, city: result.city.counts, rural: result.rural.counts },
      at,
    );
    this.changed(rt);
  }

  liveLessonIds(): string[] {
    return [...this.runtimes.values()].filter((r) => r.record.status === 'live').map((r) => r.record.id);
  }

  /** Closes all media (transports and routers) — before the worker pool closes. */
  closeAllMedia(): void {
    for (const rt of this.runtimes.values()) {
      rt.media?.close();
      rt.media = null;
    }
  }
}
