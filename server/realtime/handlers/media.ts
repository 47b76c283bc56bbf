import type { types } from 'mediasoup';
import { AppError } from '../../errors.js';
import type { LessonService } from '../../lessons/lessonService.js';
import { turnIceServers, type TurnConfig } from '../../auth/turnCredentials.js';
import { identityOfGrant, lessonOf } from '../participant.js';
import type { Handlers } from '../register.js';

type MediaEvents =
  | 'media:getRouterRtpCapabilities'
  | 'media:createTransport'
  | 'media:connectTransport'
  | 'media:produce'
  | 'media:closeProducer'
  | 'media:consume'
  | 'media:resumeConsumer'
  | 'media:restartIce'
  | 'media:setQuality';

/*
 * The casts below hand mediasoup objects whose outer shape the schema checked; mediasoup
 * validates their inside and its refusals come back as MEDIA_ERROR.
 */
export function mediaHandlers(service: LessonService, turn: TurnConfig | null = null): Pick<Handlers, MediaEvents> {
  const mediaFor = async (grant: Parameters<typeof lessonOf>[0]) => service.media(lessonOf(grant).lessonId);
  return {
    'media:getRouterRtpCapabilities': async ({ grant }) => ({
      rtpCapabilities: (await mediaFor(grant)).rtpCapabilities as Record<string, unknown>,
    }),
    'media:createTransport': async ({ grant, socket }, { direction }) => {
      // An inspector only receives: a send transport would be a way to publish later.
      if (grant.role === 'inspector' && direction !== 'recv') throw new AppError('FORBIDDEN', 'an inspector only receives');
      const params = await (await mediaFor(grant)).createTransport(socket.data.peerId, direction);
      // A relay for schools that let only one port through; pages elsewhere still go direct
      // (ICE prefers their host path), so it only carries those that need it.
      return { ...params, iceServers: turnIceServers(turn, identityOfGrant(grant)) } as never;
    },
    'media:connectTransport': async ({ grant, socket }, { transportId, dtlsParameters }) => {
      await (await mediaFor(grant)).connectTransport(socket.data.peerId, transportId, dtlsParameters as types.DtlsParameters);
      return {};
    },
    'media:produce': async ({ grant, socket }, { transportId, kind, source, rtpParameters }) => {
      const { lessonId, participant } = lessonOf(grant);
      const producerId = await service.produce(lessonId, participant, socket.data.peerId, {
        transportId,
        kind,
        source,
        rtpParameters: rtpParameters as types.RtpParameters,
      });
      return { producerId };
    },
    'media:closeProducer': async ({ grant, socket }, { producerId }) => {
      (await mediaFor(grant)).closeProducer(socket.data.peerId, producerId);
      return {};
    },
    'media:consume': async ({ grant, socket }, { transportId, producerId, rtpCapabilities }) => {
      const { lessonId, participant } = lessonOf(grant);
      return service.consume(lessonId, participant, socket.data.peerId, {
        transportId,
        producerId,
        rtpCapabilities: rtpCapabilities as types.RtpCapabilities,
      }) as never;
    },
    'media:resumeConsumer': async ({ grant, socket }, { consumerId }) => {
      await (await mediaFor(grant)).resumeConsumer(socket.data.peerId, consumerId);
      return {};
    },
    'media:restartIce': async ({ grant, socket }, { transportId }) => ({
      iceParameters: (await (await mediaFor(grant)).restartIce(socket.data.peerId, transportId)) as Record<string, unknown>,
    }),
    'media:setQuality': async ({ grant, socket }, { mode }) => {
      const { lessonId, participant } = lessonOf(grant);
      await service.setQualityMode(lessonId, participant, socket.data.peerId, mode);
      return {};
    },
  };
}
