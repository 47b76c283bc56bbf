import { z } from 'zod';
import { idSchema } from './ids.js';

/*
 * mediasoup's own objects (RTP capabilities/parameters, DTLS and ICE parameters) are
 * validated deeply by mediasoup itself; here we check their outer shape and bound their
 * size, so junk is refused before it reaches the worker.
 */
const looseObject = z.object({}).passthrough();

export const rtpCapabilitiesSchema = z
  .object({
    codecs: z.array(looseObject).max(64).optional(),
    headerExtensions: z.array(looseObject).max(64).optional(),
  })
  .passthrough();

export const rtpParametersSchema = z
  .object({
    mid: z.string().max(32).optional(),
    codecs: z.array(looseObject).min(1).max(16),
    headerExtensions: z.array(looseObject).max(32).optional(),
    encodings: z.array(looseObject).max(8).optional(),
    rtcp: looseObject.optional(),
  })
  .passthrough();

export const dtlsParametersSchema = z.object({
  role: z.enum(['auto', 'client', 'server']).optional(),
  fingerprints: z
    .array(z.object({ algorithm: z.string().max(16), value: z.string().max(256) }))
    .min(1)
    .max(8),
});

export const mediaKindSchema = z.enum(['audio', 'video']);
export type MediaKind = z.infer<typeof mediaKindSchema>;

/** What a producer carries; pages pick their players by it. Only the teacher shares a screen. */
export const mediaSourceSchema = z.enum(['camera', 'microphone', 'screen']);
export type MediaSource = z.infer<typeof mediaSourceSchema>;

/** What a classroom asks for on its link: 自动 / 高清 / 流畅 / 仅音频. */
export const QUALITY_MODES = ['auto', 'high', 'smooth', 'audio'] as const;
export const qualityModeSchema = z.enum(QUALITY_MODES);
export type QualityMode = z.infer<typeof qualityModeSchema>;

export const transportDirectionSchema = z.enum(['send', 'recv']);
export type TransportDirection = z.infer<typeof transportDirectionSchema>;

export const producerInfoSchema = z.object({
  producerId: idSchema,
  kind: mediaKindSchema,
  source: mediaSourceSchema,
  /** null: the master teacher's; else the receiving classroom that publishes it. */
  ownerClassroomId: idSchema.nullable(),
});
export type ProducerInfo = z.infer<typeof producerInfoSchema>;

/** Where a page's media reaches the server; the page names these when they cannot be reached. */
export const iceCandidateSchema = z
  .object({ ip: z.string(), port: z.number().int(), protocol: z.enum(['udp', 'tcp']) })
  .passthrough();
export type IceCandidateInfo = z.infer<typeof iceCandidateSchema>;

/** A TURN relay the page may use to reach the media ports (RTCIceServer's shape). */
export const iceServerSchema = z.object({ urls: z.array(z.string()), username: z.string(), credential: z.string() });
export type IceServer = z.infer<typeof iceServerSchema>;

export const transportParamsSchema = z.object({
  id: z.string(),
  iceParameters: looseObject,
  iceCandidates: z.array(iceCandidateSchema),
  dtlsParameters: looseObject,
  /** Empty unless the server is configured with a TURN relay (TONGKE_TURN_URLS). */
  iceServers: z.array(iceServerSchema),
});

export const consumerParamsSchema = z.object({
  consumerId: z.string(),
  producerId: z.string(),
  kind: mediaKindSchema,
  rtpParameters: looseObject,
});
