import type { LessonService } from '../../lessons/lessonService.js';
import { lessonOf } from '../participant.js';
import type { Handlers } from '../register.js';

/** 录播: the teacher turns the lesson's recording on and off. */
export function recordingHandlers(service: LessonService): Pick<Handlers, 'recording:start' | 'recording:stop'> {
  return {
    'recording:start': ({ grant }) => {
      service.startRecording(lessonOf(grant).lessonId);
      return {};
    },
    'recording:stop': async ({ grant }) => {
      await service.stopRecording(lessonOf(grant).lessonId);
      return {};
    },
  };
}
