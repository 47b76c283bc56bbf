import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, toErrorBody } from '../errors.js';
import type { Logger } from '../logger.js';

export const notFound: RequestHandler = (_req, _res, next) => next(new AppError('NOT_FOUND', 'no such route'));

/** Every HTTP error leaves as { error: { code, message } } with the matching status. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    // body-parser's own errors (bad JSON, too large) carry a 4xx status.
    const status = typeof err?.status === 'number' ? err.status : undefined;
    if (!(err instanceof AppError) && status && status >= 400 && status < 500) {
      const message = status === 413 ? 'body too large' : 'malformed request';
      res.status(status).json({ error: { code: 'BAD_REQUEST', message } });
      return;
    }
    const { status: s, body, expected } = toErrorBody(err);
    if (!expected) log.error({ err, path: req.path }, 'request failed');
    res.status(s).json({ error: body });
  };
}
