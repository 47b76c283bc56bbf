import type { PayloadOf } from '../../shared/events.js';
import { audioRtpParameters, simulcastVideoRtpParameters } from './rtp.js';
import { ok, type ClientSocket } from './server.js';

/**
 * Starts the lesson and publishes the teacher's camera (simulcast unless told otherwise) and
 * microphone through the protocol, as the teacher's page does, with no WebRTC behind them.
 */
export async function teacherPublishing(teacher: ClientSocket, camera: PayloadOf<'media:produce'>['rtpParameters'] = simulcastVideoRtpParameters()) {
  await ok(teacher, 'lesson:start', {});
  const send = await ok(teacher, 'media:createTransport', { direction: 'send' });
  const video = await ok(teacher, 'media:produce', { transportId: send.id, kind: 'video', source: 'camera', rtpParameters: camera });
  const audio = await ok(teacher, 'media:produce', {
    transportId: send.id,
    kind: 'audio',
    source: 'microphone',
    rtpParameters: audioRtpParameters(),
  });
  return { send, video, audio };
}
