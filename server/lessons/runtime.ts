import { AppError } from '../errors.js';
import type { QualityMode } from '../../shared/media.js';
import type { LessonMedia } from '../media/lessonMedia.js';
import type { LessonRecording } from './recording.js';
import type { ClassroomWithSchool, LessonRecord } from '../store/types.js';
import { AttendanceBook } from './attendance.js';
import { Presence } from './presence.js';
import { QualityTracker } from './quality.js';
import { QuestionQueue } from './questionQueue.js';
import { QuizBoard, type Side } from './quiz.js';
import { Stage } from './stage.js';

/**
 * Who is in a lesson: the master teacher, one receiving classroom, or an inspector (巡课),
 * who only watches: never in presence or the log, never publishing, never reporting.
 */
export type Participant = { kind: 'teacher' } | { kind: 'classroom'; classroomId: string } | { kind: 'inspector' };

export const identityOf = (p: Participant) =>
  p.kind === 'classroom' ? `classroom:${p.classroomId}` : p.kind;

/** Everything a live lesson holds in memory; the durable truth is the store's log. */
export interface Runtime {
  record: LessonRecord;
  lecture: ClassroomWithSchool;
  classrooms: ClassroomWithSchool[];
  presence: Presence;
  attendance: AttendanceBook;
  questions: QuestionQueue;
  stage: Stage;
  quiz: QuizBoard;
  quality: QualityTracker;
  media: LessonMedia | null;
  mediaStarting: Promise<LessonMedia> | null;
  /** Peer (a page's media session) → who it acts for. */
  peers: Map<string, Participant>;
  /** Peers whose socket dropped while their media flows on: they may come back. */
  signalLost: Set<string>;
  /** Peers whose media has not got through for a while (PeerReach): ports blocked, most likely. */
  mediaBlocked: Set<string>;
  /** Classrooms whose media got through since they came online (media_received is logged). */
  mediaReceived: Set<string>;
  /** Identity → the connection whose producers the others receive. */
  publishers: Map<string, string>;
  /** Each classroom's chosen reception mode; survives its reconnects. */
  qualityModes: Map<string, QualityMode>;
  /** 录播: null until the teacher first turns recording on (or the log says it was on). */
  recording: LessonRecording | null;
  /** Bumped on every change; views built for one version are shared. */
  version: number;
  viewCache: { version: number; base: unknown } | null;
}

export function createRuntime(
  record: LessonRecord,
  lecture: ClassroomWithSchool,
  classrooms: ClassroomWithSchool[],
  maxOnStage: number,
): Runtime {
  return {
    record,
    lecture,
    classrooms,
    presence: new Presence(),
    attendance: new AttendanceBook(),
    questions: new QuestionQueue(),
    stage: new Stage(maxOnStage),
    quiz: new QuizBoard(),
    quality: new QualityTracker(),
    media: null,
    mediaStarting: null,
    peers: new Map(),
    signalLost: new Set(),
    mediaBlocked: new Set(),
    mediaReceived: new Set(),
    publishers: new Map(),
    qualityModes: new Map(),
    recording: null,
    version: 0,
    viewCache: null,
  };
}

/** The classroom a participant reports for: the teacher reports for the lecture classroom. */
export function reportingClassroom(rt: Runtime, p: Participant): string {
  if (p.kind === 'inspector') throw new AppError('FORBIDDEN', 'an inspector reports nothing');
  return p.kind === 'teacher' ? rt.lecture.id : p.classroomId;
}

/** City or rural side, for "city and rural side by side". */
export function sideOf(rt: Runtime): (classroomId: string) => Side {
  return (id) => {
    if (id === rt.lecture.id) return 'city';
    return rt.classrooms.find((c) => c.id === id)?.area === 'urban' ? 'city' : 'rural';
  };
}
