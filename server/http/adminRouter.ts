import { Router } from 'express';
import { z } from 'zod';
import { idSchema } from '../../shared/ids.js';
import { lessonStatusSchema } from '../../shared/lesson.js';
import type { TokenService } from '../auth/tokens.js';
import { AppError } from '../errors.js';
import type { LessonService } from '../lessons/lessonService.js';
import type { Store } from '../store/types.js';
import { requireGrant } from './adminAuth.js';

const listQuery = z.object({ status: lessonStatusSchema.optional() }).strict();

function parse<T extends z.ZodTypeAny>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new AppError('BAD_REQUEST', `${i?.path.join('.') || 'query'}: ${i?.message ?? 'invalid'}`);
  }
  return r.data;
}

/** Read-only lesson overview for administrators. */
export function adminRouter(deps: { tokens: TokenService; store: Store; service: LessonService }): Router {
  const { tokens, store, service } = deps;
  const r = Router();
  r.use(requireGrant(tokens, 'admin:read'));

  r.get('/lessons', (req, res) => {
    const q = parse(listQuery, req.query);
    const lessons = store.listLessons(q).map((l) => {
      const state = service.state(l.id, { kind: 'teacher' });
      const events = store.listEvents(l.id);
      return {
        ...l,
        classroomsInvited: state.classrooms.length,
        classroomsOnline: state.classrooms.filter((c) => c.online).length,
        classroomsReached: new Set(events.filter((e) => e.type === 'classroom_joined').map((e) => e.classroomId)).size,
        teacherOnline: state.teacherOnline,
      };
    });
    res.json({ lessons });
  });

  r.get('/lessons/:lessonId/events', (req, res) => {
    const lessonId = parse(idSchema, req.params.lessonId);
    if (!store.getLesson(lessonId)) throw new AppError('NOT_FOUND', 'unknown lesson');
    res.json({ events: store.listEvents(lessonId) });
  });
  return r;
}
