import { describe, expect, it } from 'vitest';
import { clientEvents } from '../../shared/events.js';
import { ACTIONS, can, ROLES, type Action, type Role } from '../../shared/roles.js';

/** The whole matrix, written out: a new action or role without a row here fails. */
const EXPECTED: Record<Action, Role[]> = {
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

describe('permissions', () => {
  it('has a rule for every action', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...ACTIONS].sort());
  });

  for (const action of ACTIONS) {
    for (const role of ROLES) {
      const allowed = EXPECTED[action].includes(role);
      it(`${role} ${allowed ? 'may' : 'may not'} ${action}`, () => {
        expect(can(role, action)).toBe(allowed);
      });
    }
  }

  it('maps every socket event to a known action', () => {
    for (const [event, def] of Object.entries(clientEvents)) {
      expect(ACTIONS, event).toContain(def.action);
    }
  });
});
