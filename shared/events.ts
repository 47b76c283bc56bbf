import { z } from 'zod';
import type { AckCallback } from './errors.js';
import { idSchema } from './ids.js';
import {
  attendanceReportSchema,
  questionRaiseSchema,
  questionRefSchema,
  questionResolveSchema,
  quizAnswerSchema,
  quizOpenSchema,
  quizRefSchema,
  stageRefSchema,
} from './coordination.js';
import { lessonStateSchema } from './lesson.js';
import {
  consumerParamsSchema,
  dtlsParametersSchema,
  mediaKindSchema,
  mediaSourceSchema,
  qualityModeSchema,
  producerInfoSchema,
  rtpCapabilitiesSchema,
  rtpParametersSchema,
  transportDirectionSchema,
  transportParamsSchema,
} from './media.js';
import type { Action } from './roles.js';

const empty = z.object({}).strict();
const ok = z.object({}).strict();

/**
 * The client→server protocol: for each event, its payload schema, its ack result schema
 * and the permission it needs. The server registers exactly these events and parses every
 * payload with its schema before any handler runs.
 */
export const clientEvents = {
  'lesson:sync': { payload: empty, result: lessonStateSchema, action: 'lesson:join' },
  'lesson:start': { payload: empty, result: lessonStateSchema, action: 'lesson:start' },
  'lesson:end': { payload: empty, result: lessonStateSchema, action: 'lesson:end' },
  'media:getRouterRtpCapabilities': {
    payload: empty,
    result: z.object({ rtpCapabilities: rtpCapabilitiesSchema }),
    action: 'media:setup',
  },
  'media:createTransport': {
    payload: z.object({ direction: transportDirectionSchema }).strict(),
    result: transportParamsSchema,
    action: 'media:setup',
  },
  'media:connectTransport': {
    payload: z.object({ transportId: idSchema, dtlsParameters: dtlsParametersSchema }).strict(),
    result: ok,
    action: 'media:setup',
  },
  'media:produce': {
    payload: z
      .object({
        transportId: idSchema,
        kind: mediaKindSchema,
        source: mediaSourceSchema,
        rtpParameters: rtpParametersSchema,
      })
      .strict(),
    result: z.object({ producerId: z.string() }),
    action: 'media:publish',
  },
  'media:closeProducer': {
    payload: z.object({ producerId: idSchema }).strict(),
    result: ok,
    action: 'media:publish',
  },
  'media:consume': {
    payload: z
      .object({
        transportId: idSchema,
        producerId: idSchema,
        rtpCapabilities: rtpCapabilitiesSchema,
      })
      .strict(),
    result: consumerParamsSchema,
    action: 'media:setup',
  },
  'media:resumeConsumer': {
    payload: z.object({ consumerId: idSchema }).strict(),
    result: ok,
    action: 'media:setup',
  },
  'media:restartIce': {
    payload: z.object({ transportId: idSchema }).strict(),
    result: z.object({ iceParameters: z.object({}).passthrough() }),
    action: 'media:setup',
  },
  'media:setQuality': {
    payload: z.object({ mode: qualityModeSchema }).strict(),
    result: ok,
    action: 'media:setup',
  },
  'attendance:report': { payload: attendanceReportSchema, result: ok, action: 'attendance:report' },
  'question:raise': {
    payload: questionRaiseSchema,
    result: z.object({ questionId: z.string() }),
    action: 'question:raise',
  },
  'question:withdraw': { payload: questionRefSchema, result: ok, action: 'question:withdraw' },
  'question:resolve': { payload: questionResolveSchema, result: ok, action: 'question:resolve' },
  'recording:start': { payload: empty, result: ok, action: 'recording:manage' },
  'recording:stop': { payload: empty, result: ok, action: 'recording:manage' },
  'stage:invite': { payload: stageRefSchema, result: ok, action: 'stage:manage' },
  'stage:remove': { payload: stageRefSchema, result: ok, action: 'stage:manage' },
  'quiz:open': { payload: quizOpenSchema, result: z.object({ quizId: z.string() }), action: 'quiz:manage' },
  'quiz:answer': { payload: quizAnswerSchema, result: ok, action: 'quiz:answer' },
  'quiz:close': { payload: quizRefSchema, result: ok, action: 'quiz:manage' },
} as const satisfies Record<string, { payload: z.ZodTypeAny; result: z.ZodTypeAny; action: Action }>;

export type ClientEventName = keyof typeof clientEvents;
export type PayloadOf<E extends ClientEventName> = z.input<(typeof clientEvents)[E]['payload']>;
export type ResultOf<E extends ClientEventName> = z.infer<(typeof clientEvents)[E]['result']>;

export type ClientToServerEvents = {
  [E in ClientEventName]: (payload: PayloadOf<E>, ack: AckCallback<ResultOf<E>>) => void;
};

export const serverEvents = {
  'lesson:state': lessonStateSchema,
  'media:producerAdded': producerInfoSchema,
  'media:producerClosed': z.object({ producerId: z.string() }),
  'media:consumerClosed': z.object({ consumerId: z.string() }),
  /** The server closed one of our transports (disconnected too long): rebuild media. */
  'media:transportClosed': z.object({ transportId: z.string() }),
  /** The lesson's media was rebuilt (a worker died): drop all media and set it up again. */
  'media:reset': z.object({ reason: z.string() }),
  /**
   * Sent once on every connection, before anything else: whether the server still holds the media
   * of this page's session key (signalling dropped, media flowed on). If not, the page sets it up again.
   */
  'media:session': z.object({ resumed: z.boolean() }),
  /**
   * The server is stopping (an upgrade, a restart) and closes every connection next: the page
   * says so instead of blaming the school's network, and comes back by itself.
   */
  'server:stopping': z.object({}),
} as const;

export type ServerEventName = keyof typeof serverEvents;
export type ServerToClientEvents = {
  [E in ServerEventName]: (payload: z.infer<(typeof serverEvents)[E]>) => void;
};
