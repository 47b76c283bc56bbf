import type { Grant } from '../../shared/token.js';
import { AppError } from '../errors.js';
import type { Participant } from '../lessons/lessonService.js';

/** The lesson and participant a grant acts for; admins act for no lesson. */
export function lessonOf(grant: Grant): { lessonId: string; participant: Participant } {
  switch (grant.role) {
    case 'teacher':
      return { lessonId: grant.lessonId, participant: { kind: 'teacher' } };
    case 'assistant':
      return { lessonId: grant.lessonId, participant: { kind: 'classroom', classroomId: grant.classroomId } };
    default:
      throw new AppError('FORBIDDEN', 'this role takes part in no lesson');
  }
}
