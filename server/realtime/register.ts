import type { z } from 'zod';
import type { Ack } from '../../shared/errors.js';
import { clientEvents, type ClientEventName, type ResultOf } from '../../shared/events.js';
import { can } from '../../shared/roles.js';
import type { Grant } from '../../shared/token.js';
import { AppError, toErrorBody } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FloodGuard } from './floodGuard.js';
import { RateLimiter } from './rateLimit.js';
import type { TongkeSocket } from './types.js';

export interface HandlerContext {
  socket: TongkeSocket;
  grant: Grant;
  log: Logger;
}

export type Handler<E extends ClientEventName> = (
  ctx: HandlerContext,
  payload: z.infer<(typeof clientEvents)[E]['payload']>,
) => Promise<ResultOf<E>> | ResultOf<E>;

export type Handlers = { [E in ClientEventName]: Handler<E> };

const RATE = { perSecond: 10, burst: 30 };

/**
 * Wires every protocol event of one socket through the same steps: permission, schema,
 * rate limit, handler, ack. Nothing reaches a handler unchecked, and every outcome is
 * acknowledged as { ok: true, data } or { ok: false, error: { code, message } }.
 */
export function registerHandlers(
  socket: TongkeSocket,
  handlers: Handlers,
  log: Logger,
  flood?: { guard: FloodGuard; identity: string },
): void {
  const limiter = new RateLimiter(RATE.perSecond, RATE.burst);
  const grant = socket.data.grant;
  const ctx: HandlerContext = { socket, grant, log };
  const known = new Set<string>(Object.keys(clientEvents));

  const dispatch = async (event: ClientEventName, raw: unknown): Promise<Ack<unknown>> => {
    try {
      const def = clientEvents[event];
      if (!can(grant.role, def.action)) {
        throw new AppError('FORBIDDEN', `role ${grant.role} may not ${event}`);
      }
      if (!limiter.take(event)) {
        if (flood?.guard.refused(flood.identity)) {
          log.warn({ event }, 'flooding far past the rate limit: disconnected');
          socket.disconnect(true);
        }
        throw new AppError('RATE_LIMITED', `too many ${event} requests`);
      }
      // An event sent with only its ack has no payload: that means {}. An explicit null does not.
      const parsed = def.payload.safeParse(raw === undefined ? {} : raw);
      if (!parsed.success) {
        const first = parsed.error.issues[0];
        const where = first?.path.length ? `${first.path.join('.')}: ` : '';
        throw new AppError('BAD_REQUEST', `${where}${first?.message ?? 'invalid payload'}`);
      }
      const handler = handlers[event] as (c: HandlerContext, p: unknown) => unknown;
      const data = await handler(ctx, parsed.data);
      return { ok: true, data };
    } catch (err) {
      const { body, expected } = toErrorBody(err);
      if (expected) log.debug({ event, code: body.code }, 'request refused');
      else log.error({ event, err }, 'handler failed');
      return { ok: false, error: body };
    }
  };

  socket.onAny((event: string, ...args: unknown[]) => {
    const ack = args.at(-1);
    if (typeof ack !== 'function') {
      log.debug({ event }, 'event without ack ignored');
      return;
    }
    const raw = args.length > 1 ? args[0] : undefined;
    const reply = ack as (a: Ack<unknown>) => void;
    if (!known.has(event)) {
      reply({ ok: false, error: { code: 'BAD_REQUEST', message: 'unknown event' } });
      return;
    }
    void dispatch(event as ClientEventName, raw).then(reply);
  });
}
