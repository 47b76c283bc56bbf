import type { LessonState } from '../../shared/lesson.js';
import type { ProducerInfo } from '../../shared/media.js';
import { identityOf, sideOf, type Participant, type Runtime } from './runtime.js';

/** Every producer of the lesson, with who owns it. */
export function lessonProducers(rt: Runtime): ProducerInfo[] {
  if (!rt.media) return [];
  const out: ProducerInfo[] = [];
  for (const [identity, peerId] of rt.publishers) {
    const ownerClassroomId = identity === 'teacher' ? null : identity.slice('classroom:'.length);
    for (const p of rt.media.producersOf(peerId)) out.push({ ...p, ownerClassroomId });
  }
  return out;
}

/** How the receiving classrooms get the teacher's camera, for the teacher's page. */
function reception(rt: Runtime): LessonState['reception'] {
  const summary = { layers: [0, 0, 0], audioOnly: 0, none: 0, serverCapped: 0 };
  if (!rt.media) return summary;
  const teacherPeer = rt.publishers.get('teacher');
  const camera = new Set(
    (teacherPeer ? rt.media.producersOf(teacherPeer) : []).filter((p) => p.source === 'camera').map((p) => p.producerId),
  );
  const classroomPeers = [...rt.peers].filter(([, p]) => p.kind === 'classroom').map(([id]) => id);
  for (const r of rt.media.receptionOf(camera, classroomPeers).values()) {
    if (r === 'audio') summary.audioOnly++;
    else if (r === 'none') summary.none++;
    else summary.layers[r] = (summary.layers[r] ?? 0) + 1;
  }
  summary.serverCapped = serverLayerCaps(rt).size;
  return summary;
}

/** Whether a page of the classroom is online but its media does not get through. */
function mediaBlocked(rt: Runtime, classroomId: string): boolean {
  if (rt.mediaBlocked.size === 0) return false;
  for (const peerId of rt.mediaBlocked) {
    const p = rt.peers.get(peerId);
    if (p?.kind === 'classroom' && p.classroomId === classroomId) return true;
  }
  return false;
}

/** Whether every page of a classroom has lost its signalling (and none is connected). */
function signalLost(rt: Runtime, classroomId: string): boolean {
  if (rt.signalLost.size === 0) return false;
  let pages = 0;
  for (const [peerId, p] of rt.peers) {
    if (p.kind !== 'classroom' || p.classroomId !== classroomId) continue;
    if (!rt.signalLost.has(peerId)) return false;
    pages++;
  }
  return pages > 0;
}

type Base = Omit<LessonState, 'quiz' | 'viewer' | 'reception'>;

/** The part every participant sees alike, built once per change. */
function base(rt: Runtime): Base {
  if (rt.viewCache?.version === rt.version) return rt.viewCache.base as Base;
  const r = rt.record;
  const receiving = rt.classrooms.map((c) => c.id);
  const built: Base = {
    lessonId: r.id,
    title: r.title,
    subject: r.subject,
    teacherName: r.teacherName,
    lectureClassroom: {
      classroomId: rt.lecture.id,
      name: rt.lecture.name,
      schoolName: rt.lecture.schoolName,
      attendance: rt.attendance.get(rt.lecture.id),
    },
    status: r.status,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    teacherOnline: rt.presence.has(identityOf({ kind: 'teacher' })),
    classrooms: rt.classrooms.map((c) => ({
      classroomId: c.id,
      name: c.name,
      schoolName: c.schoolName,
      area: c.area,
      online: rt.presence.has(identityOf({ kind: 'classroom', classroomId: c.id })),
      reconnecting: signalLost(rt, c.id),
      mediaBlocked: mediaBlocked(rt, c.id),
      attendance: rt.attendance.get(c.id),
      handRaised: rt.questions.hasOpen(c.id),
      onStage: rt.stage.has(c.id),
      quality: rt.quality.get(c.id),
    })),
    presentTotal: rt.attendance.presentTotal(receiving),
    questions: rt.questions.list(),
    stage: { classroomIds: rt.stage.list(), max: rt.stage.max },
    producers: lessonProducers(rt),
    recording: rt.recording?.state() ?? { active: false, since: null, writing: false, halted: null },
  };
  rt.viewCache = { version: rt.version, base: built };
  return built;
}

/** The lesson as one participant may see it. */
export function buildView(rt: Runtime, viewer: Participant): LessonState {
  const viewerClassroomId = viewer.kind === 'classroom' ? viewer.classroomId : null;
  return {
    ...base(rt),
    quiz: rt.quiz.view(viewerClassroomId, sideOf(rt)),
    reception: viewer.kind === 'teacher' ? reception(rt) : { layers: [], audioOnly: 0, none: 0, serverCapped: 0 },
    viewer: {
      role: viewer.kind === 'classroom' ? 'assistant' : viewer.kind,
      classroomId: viewerClassroomId,
      qualityMode: viewerClassroomId ? (rt.qualityModes.get(viewerClassroomId) ?? 'auto') : 'auto',
      serverLayerCap: viewerClassroomId ? (serverLayerCaps(rt).get(viewerClassroomId) ?? null) : null,
    },
  };
}

const capsByVersion = new WeakMap<Runtime, { version: number; caps: Map<string, number> }>();

/**
 * Per classroom, the lowest cap a worker at its limit puts on any page of it (load shedding).
 * Built once per lesson version: every page's view reads it, and a county's lesson sends hundreds
 * of views per change.
 */
function serverLayerCaps(rt: Runtime): Map<string, number> {
  const hit = capsByVersion.get(rt);
  if (hit?.version === rt.version) return hit.caps;
  const caps = new Map<string, number>();
  if (rt.media) {
    for (const [peerId, p] of rt.peers) {
      if (p.kind !== 'classroom') continue;
      const cap = rt.media.layerCapOf(peerId);
      if (cap !== null) caps.set(p.classroomId, Math.min(cap, caps.get(p.classroomId) ?? cap));
    }
  }
  capsByVersion.set(rt, { version: rt.version, caps });
  return caps;
}
