import type { LessonService } from '../../lessons/lessonService.js';
import { lessonOf } from '../participant.js';
import type { Handlers } from '../register.js';

export function lessonHandlers(service: LessonService): Pick<Handlers, 'lesson:sync' | 'lesson:start' | 'lesson:end'> {
  return {
    'lesson:sync': ({ grant }) => service.state(lessonOf(grant).lessonId),
    'lesson:start': ({ grant }) => service.start(lessonOf(grant).lessonId),
    'lesson:end': ({ grant }) => service.end(lessonOf(grant).lessonId),
  };
}
