import { EventEmitter } from 'node:events';
import type { LessonState } from '../../shared/lesson.js';
import type { ProducerInfo } from '../../shared/media.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { LessonMedia } from '../media/lessonMedia.js';
import type { ClassroomWithSchool, LessonRecord, Store } from '../store/types.js';
import { Presence } from './presence.js';

/** Who is acting in a lesson: the master teacher, or one receiving classroom. */
export type Participant = { kind: 'teacher' } | { kind: 'classroom'; classroomId: string };

export type LessonServiceEvents = {
  stateChanged: [lessonId: string];
  producerAdded: [lessonId: string, info: ProducerInfo];
  producerClosed: [lessonId: string, producerId: string];
  consumerClosed: [lessonId: string, peerId: string, consumerId: string];
};

interface Runtime {
  record: LessonRecord;
  lecture: ClassroomWithSchool;
  classrooms: ClassroomWithSchool[];
  presence: Presence;
  media: LessonMedia | null;
  mediaStarting: Promise<LessonMedia> | null;
  /** The connection whose producers classrooms receive. */
  teacherPeerId: string | null;
}

const identityOf = (p: Participant) => (p.kind === 'teacher' ? 'teacher' : `classroom:${p.classroomId}`);

/**
 * The lesson lifecycle (scheduled → live → ended), presence and the durable log.
 * Knows nothing of Socket.IO or HTTP: the realtime layer listens to its events.
 */
export class LessonService extends EventEmitter<LessonServiceEvents> {
  private readonly runtimes = new Map<string, Runtime>();

  constructor(
    private readonly store: Store,
    private readonly createMedia: () => Promise<LessonMedia>,
    private readonly log: Logger,
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
      this.store.appendEvent({
        lessonId: l.id,
        at: this.now(),
        type: 'lesson_resumed_after_restart',
        classroomId: null,
        data: {},
      });
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
    const rt: Runtime = {
      record,
      lecture,
      classrooms: this.store.lessonClassrooms(lessonId),
      presence: new Presence(),
      media: null,
      mediaStarting: null,
      teacherPeerId: null,
    };
    this.runtimes.set(lessonId, rt);
    return rt;
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
    this.emit('stateChanged', lessonId);
  }

  /** Throws unless the classroom is one of the lesson's receiving classrooms. */
  assertParticipant(lessonId: string, p: Participant): void {
    const rt = this.runtime(lessonId);
    if (p.kind === 'classroom' && !rt.classrooms.some((c) => c.id === p.classroomId)) {
      throw new AppError('FORBIDDEN', 'this classroom is not invited to this lesson');
    }
  }

  state(lessonId: string): LessonState {
    const rt = this.runtime(lessonId);
    const r = rt.record;
    return {
      lessonId: r.id,
      title: r.title,
      subject: r.subject,
      teacherName: r.teacherName,
      lectureClassroom: { name: rt.lecture.name, schoolName: rt.lecture.schoolName },
      status: r.status,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      teacherOnline: rt.presence.has('teacher'),
      classrooms: rt.classrooms.map((c) => ({
        classroomId: c.id,
        name: c.name,
        schoolName: c.schoolName,
        online: rt.presence.has(`classroom:${c.id}`),
      })),
      producers: rt.media && rt.teacherPeerId ? rt.media.producersOf(rt.teacherPeerId) : [],
    };
  }

  join(lessonId: string, p: Participant): void {
    this.assertParticipant(lessonId, p);
    const rt = this.runtime(lessonId);
    if (rt.presence.add(identityOf(p))) {
      this.store.appendEvent({
        lessonId,
        at: this.now(),
        type: p.kind === 'teacher' ? 'teacher_joined' : 'classroom_joined',
        classroomId: p.kind === 'classroom' ? p.classroomId : null,
        data: {},
      });
      this.emit('stateChanged', lessonId);
    }
  }

  /** A connection left: closes its media and updates presence. */
  leave(lessonId: string, p: Participant, peerId: string): void {
    const rt = this.runtimes.get(lessonId);
    if (!rt) return;
    rt.media?.closePeer(peerId);
    if (rt.teacherPeerId === peerId) rt.teacherPeerId = null;
    if (rt.presence.remove(identityOf(p))) {
      this.store.appendEvent({
        lessonId,
        at: this.now(),
        type: p.kind === 'teacher' ? 'teacher_left' : 'classroom_left',
        classroomId: p.kind === 'classroom' ? p.classroomId : null,
        data: {},
      });
    }
    this.emit('stateChanged', lessonId);
  }

  async start(lessonId: string): Promise<LessonState> {
    const rt = this.runtime(lessonId);
    if (rt.record.status !== 'scheduled') {
      throw new AppError('CONFLICT', rt.record.status === 'live' ? 'lesson is already live' : 'lesson has ended');
    }
    // Media first: if the worker cannot serve the lesson, it does not go live.
    await this.media(lessonId, { create: true });
    rt.record = this.store.transitionLesson(lessonId, 'scheduled', 'live', {
      type: 'lesson_started',
      at: this.now(),
    });
    this.log.info({ lessonId }, 'lesson started');
    this.emit('stateChanged', lessonId);
    return this.state(lessonId);
  }

  async end(lessonId: string): Promise<LessonState> {
    const rt = this.runtime(lessonId);
    if (rt.record.status !== 'live') throw new AppError('CONFLICT', 'lesson is not live');
    rt.record = this.store.transitionLesson(lessonId, 'live', 'ended', { type: 'lesson_ended', at: this.now() });
    rt.media?.close();
    rt.media = null;
    rt.teacherPeerId = null;
    this.log.info({ lessonId }, 'lesson ended');
    this.emit('stateChanged', lessonId);
    return this.state(lessonId);
  }

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
        this.wireMedia(lessonId, rt, m);
        rt.media = m;
        return m;
      })
      .finally(() => {
        rt.mediaStarting = null;
      });
    return rt.mediaStarting;
  }

  private wireMedia(lessonId: string, rt: Runtime, m: LessonMedia): void {
    m.on('producerAdded', (peerId, info) => {
      if (peerId === rt.teacherPeerId) this.emit('producerAdded', lessonId, info);
    });
    m.on('producerClosed', (peerId, producerId) => {
      if (peerId === rt.teacherPeerId || rt.teacherPeerId === null) this.emit('producerClosed', lessonId, producerId);
    });
    m.on('consumerClosed', (peerId, consumerId) => this.emit('consumerClosed', lessonId, peerId, consumerId));
  }

  /** Marks a connection as the one whose producers the classrooms receive. */
  setTeacherPeer(lessonId: string, peerId: string): void {
    const rt = this.runtime(lessonId);
    if (rt.teacherPeerId && rt.teacherPeerId !== peerId) rt.media?.closePeer(rt.teacherPeerId);
    rt.teacherPeerId = peerId;
  }

  teacherProducerIds(lessonId: string): Set<string> {
    const rt = this.runtime(lessonId);
    if (!rt.media || !rt.teacherPeerId) return new Set();
    return new Set(rt.media.producersOf(rt.teacherPeerId).map((p) => p.producerId));
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
