import type { ErrorBody, ErrorCode } from '../shared/errors.js';

const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  MEDIA_ERROR: 422,
  STORAGE_FULL: 507,
  INTERNAL: 500,
};

/** An error we expect and can explain to the client; anything else is INTERNAL. */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}

/** The one place that turns any thrown value into what a client sees. */
export function toErrorBody(err: unknown): { status: number; body: ErrorBody; expected: boolean } {
  if (err instanceof AppError) {
    return { status: err.httpStatus, body: { code: err.code, message: err.message }, expected: true };
  }
  return {
    status: 500,
    body: { code: 'INTERNAL', message: 'internal error' },
    expected: false,
  };
}
