import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';
import type { Classroom, Community, LessonRecord, School, Store } from '../store/types.js';
import type { ClassroomBody, CommunityBody, PlannedLessonBody, SchoolBody } from './schemas.js';

const newId = (prefix: string) => `${prefix}-${randomBytes(6).toString('hex')}`;
const MAX_LESSON_MS = 6 * 3600_000;

/**
 * A timetable slot's natural key is its lecture classroom and planned start (one room cannot
 * host two lessons at once), so re-importing the same CSV updates instead of duplicating.
 */
export function timetableId(lectureClassroomId: string, plannedStart: number): string {
  return `tt-${createHash('sha256').update(`${lectureClassroomId}|${plannedStart}`).digest('hex').slice(0, 20)}`;
}

/**
 * The community model and the timetable, with the referential rules SQL alone does not
 * express: a core school belongs to its community, a lecture classroom is a lecture room...
 */
export class ModelService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
    /** Told after a timetable entry changed (the live layer caches lessons). */
    private readonly onPlanChanged: (lessonId: string) => void = () => {},
  ) {}

  saveCommunity(body: CommunityBody, mode: 'create' | 'update'): Community {
    const id = body.id ?? newId('cm');
    this.assertMode(mode, this.store.getCommunity(id) !== null, 'community');
    if (body.coreSchoolId !== null) {
      const core = this.store.getSchool(body.coreSchoolId);
      if (!core || core.communityId !== id) throw new AppError('BAD_REQUEST', 'coreSchoolId: not a school of this community');
    }
    const c: Community = { id, name: body.name, type: body.type, coreSchoolId: body.coreSchoolId };
    this.store.upsertCommunity(c);
    return c;
  }

  saveSchool(body: SchoolBody, mode: 'create' | 'update'): School {
    const id = body.id ?? newId('sc');
    const existing = this.store.getSchool(id);
    this.assertMode(mode, existing !== null, 'school');
    if (!this.store.getCommunity(body.communityId)) throw new AppError('BAD_REQUEST', 'communityId: unknown community');
    if (existing && existing.communityId !== body.communityId) {
      const core = this.store.getCommunity(existing.communityId)?.coreSchoolId;
      if (core === id) throw new AppError('CONFLICT', 'this school is its community’s core school: choose another core school first');
    }
    const s: School = { id, communityId: body.communityId, name: body.name, district: body.district, area: body.area };
    this.store.upsertSchool(s);
    return s;
  }

  saveClassroom(body: ClassroomBody, mode: 'create' | 'update'): Classroom {
    const id = body.id ?? newId('cr');
    this.assertMode(mode, this.store.getClassroom(id) !== null, 'classroom');
    if (!this.store.getSchool(body.schoolId)) throw new AppError('BAD_REQUEST', 'schoolId: unknown school');
    const c: Classroom = { id, schoolId: body.schoolId, name: body.name, kind: body.kind };
    this.store.upsertClassroom(c);
    return c;
  }

  /**
   * Creates or updates a timetable entry. 'create' refuses an existing id; 'upsert' (CSV
   * import) replaces a still-scheduled entry. Either way one transaction, all or nothing.
   */
  savePlannedLesson(body: PlannedLessonBody, mode: 'create' | 'update' | 'upsert'): { lesson: LessonRecord; created: boolean } {
    const id = body.id ?? timetableId(body.lectureClassroomId, body.plannedStart);
    if (mode !== 'upsert') this.assertMode(mode, this.store.getLesson(id) !== null, 'lesson');
    if (!(body.plannedEnd > body.plannedStart)) throw new AppError('BAD_REQUEST', 'plannedEnd: must be after plannedStart');
    if (body.plannedEnd - body.plannedStart > MAX_LESSON_MS) throw new AppError('BAD_REQUEST', 'plannedEnd: a lesson lasts at most 6 hours');
    const lecture = this.store.getClassroom(body.lectureClassroomId);
    if (!lecture) throw new AppError('BAD_REQUEST', `lectureClassroomId: unknown classroom ${body.lectureClassroomId}`);
    if (lecture.kind !== 'lecture') throw new AppError('BAD_REQUEST', `lectureClassroomId: ${lecture.id} is not a lecture classroom`);
    for (const rid of body.receivingClassroomIds) {
      const room = this.store.getClassroom(rid);
      if (!room) throw new AppError('BAD_REQUEST', `receivingClassroomIds: unknown classroom ${rid}`);
      if (room.kind !== 'receiving') throw new AppError('BAD_REQUEST', `receivingClassroomIds: ${rid} is not a receiving classroom`);
    }
    const clash = this.store.findOverlappingLesson(body.lectureClassroomId, body.plannedStart, body.plannedEnd, id);
    if (clash) throw new AppError('CONFLICT', `the lecture classroom is already booked then (lesson ${clash})`);
    const saved = this.store.savePlannedLesson(
      {
        id,
        title: body.title || `${body.grade}${body.subject}`,
        subject: body.subject,
        grade: body.grade,
        teacherName: body.teacherName,
        lectureClassroomId: body.lectureClassroomId,
        receivingClassroomIds: body.receivingClassroomIds,
        plannedStart: body.plannedStart,
        plannedEnd: body.plannedEnd,
      },
      this.now(),
    );
    if (!saved.created) this.onPlanChanged(id);
    return saved;
  }

  private assertMode(mode: 'create' | 'update', exists: boolean, what: string): void {
    if (mode === 'create' && exists) throw new AppError('CONFLICT', `${what} already exists`);
    if (mode === 'update' && !exists) throw new AppError('NOT_FOUND', `unknown ${what}`);
  }
}
