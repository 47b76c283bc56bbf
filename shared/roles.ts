import { z } from 'zod';

export const ROLES = ['teacher', 'assistant', 'admin'] as const;
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
  'media:publishTeacher', // the lecture camera and microphone
  'admin:read',
  'admin:write', // the community model, the timetable, on-demand reports
] as const;
export type Action = (typeof ACTIONS)[number];

const RULES: Record<Action, readonly Role[]> = {
  'lesson:join': ['teacher', 'assistant'],
  'lesson:start': ['teacher'],
  'lesson:end': ['teacher'],
  'media:setup': ['teacher', 'assistant'],
  'media:publishTeacher': ['teacher'],
  'admin:read': ['admin'],
  'admin:write': ['admin'],
};

export function can(role: Role, action: Action): boolean {
  return RULES[action].includes(role);
}
