import type { LessonService } from '../../lessons/lessonService.js';
import { lessonOf } from '../participant.js';
import type { Handlers } from '../register.js';

export function lessonHandlers(service: LessonService): Pick<Handlers, 'lesson:sync' | 'lesson:start' | 'lesson:end'> {
  const view = (grant: Parameters<typeof lessonOf>[0]) => {
    const { lessonId, participant } = lessonOf(grant);
    return service.state(lessonId, participant);
  };
  return {
    'lesson:sync': ({ grant }) => view(grant),
    'lesson:start': async ({ grant }) => {
      await service.start(lessonOf(grant).lessonId);
      return view(grant);
    },
    'lesson:end': async ({ grant }) => {
      await service.end(lessonOf(grant).lessonId);
      return view(grant);
    },
  };
}
