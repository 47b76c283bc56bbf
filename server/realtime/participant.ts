import type { Grant } from '../../shared/token.js';
import { AppError } from '../errors.js';
import type { Participant } from '../lessons/lessonService.js';

/**
 * The lesson and participant a grant acts for; admins act for no lesson. An inspector's
 * lesson is written into its grant by the auth middleware at connect.
 */
export function lessonOf(grant: Grant): { lessonId: string; participant: Participant } {
  switch (grant.role) {
    case 'teacher':
      return { lessonId: grant.lessonId, participant: { kind: 'teacher' } };
    case 'assistant':
      return { lessonId: grant.lessonId, participant: { kind: 'classroom', classroomId: grant.classroomId } };
    case 'inspector':
      if (!grant.lessonId) throw new AppError('BAD_REQUEST', 'an inspector names the lesson to watch');
      return { lessonId: grant.lessonId, participant: { kind: 'inspector' } };
    default:
      throw new AppError('FORBIDDEN', 'this role takes part in no lesson');
  }
}

/** For actions only a receiving classroom takes (raising a hand). */
export function classroomOf(grant: Grant): { lessonId: string; classroomId: string } {
  const { lessonId, participant } = lessonOf(grant);
  if (participant.kind !== 'classroom') throw new AppError('FORBIDDEN', 'only a receiving classroom may do this');
  return { lessonId, classroomId: participant.classroomId };
}

/** One key per acting party: the teacher of a lesson, a classroom in a lesson, an admin. */
export function identityOfGrant(grant: Grant): string {
  switch (grant.role) {
    case 'teacher':
      return `teacher:${grant.lessonId}`;
    case 'assistant':
      return `classroom:${grant.lessonId}:${grant.classroomId}`;
    case 'inspector':
      return `inspector:${grant.name}`;
    default:
      return `admin:${grant.name}`;
  }
}
