import { z } from 'zod';

export const ROLES = ['teacher', 'assistant', 'inspector', 'admin'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

/**
 * What each role may do. A new action without a rule fails the type check,
 * so nobody can add an event and forget its permission.
 */
export const ACTIONS = [
  'lesson:join',
  'lesson:start',
  'lesson:end',
  'media:setup', // router capabilities, transports, consumers
  'media:publish', // the teacher's camera/mic/screen; a classroom's low-res camera and mic
  'attendance:report', // head counts of the acting classroom
  'question:raise',
  'question:withdraw',
  'question:resolve', // answered / deferred / dismissed
  'stage:manage', // bring a classroom on stage or take it off
  'quiz:manage', // open and close a quiz
  'quiz:answer', // report how many pupils chose each option
  'recording:manage', // record the lesson for later viewing (录播): the lecture school's decision
  'admin:read',
  'admin:write', // the community model, the timetable, on-demand reports
] as const;
export type Action = (typeof ACTIONS)[number];

/*
 * The teacher acts for the lecture classroom: it may report that room's attendance and
 * quiz answers (the city side of "city and rural side by side"). Only a receiving
 * classroom raises hands; only the teacher decides who is on stage. The inspector (巡课)
 * watches any live lesson and reads audits, but never speaks, publishes or changes anything.
 */
const RULES: Record<Action, readonly Role[]> = {
  'lesson:join': ['teacher', 'assistant', 'inspector'],
  'lesson:start': ['teacher'],
  'lesson:end': ['teacher'],
  'media:setup': ['teacher', 'assistant', 'inspector'],
  'media:publish': ['teacher', 'assistant'],
  'attendance:report': ['teacher', 'assistant'],
  'question:raise': ['assistant'],
  'question:withdraw': ['assistant'],
  'question:resolve': ['teacher'],
  'stage:manage': ['teacher'],
  'quiz:manage': ['teacher'],
  'quiz:answer': ['teacher', 'assistant'],
  'recording:manage': ['teacher'],
  'admin:read': ['admin', 'inspector'],
  'admin:write': ['admin'],
};

export function can(role: Role, action: Action): boolean {
  return RULES[action].includes(role);
}
