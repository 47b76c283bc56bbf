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

/** The lesson as one participant may see it. */
export function buildView(rt: Runtime, viewer: Participant): LessonState {
  const r = rt.record;
  const viewerClassroomId = viewer.kind === 'classroom' ? viewer.classroomId : null;
  const receiving = rt.classrooms.map((c) => c.id);
  return {
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
      attendance: rt.attendance.get(c.id),
      handRaised: rt.questions.hasOpen(c.id),
      onStage: rt.stage.has(c.id),
      quality: rt.quality.get(c.id),
    })),
    presentTotal: rt.attendance.presentTotal(receiving),
    questions: rt.questions.list(),
    stage: { classroomIds: rt.stage.list(), max: rt.stage.max },
    quiz: rt.quiz.view(viewerClassroomId, sideOf(rt)),
    producers: lessonProducers(rt),
    viewer: { role: viewer.kind === 'teacher' ? 'teacher' : 'assistant', classroomId: viewerClassroomId },
  };
}
