import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Tokens, passwords and question text never reach the logs at info level: these paths
 * are redacted wherever they appear in a logged object.
 */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'auth.token',
  'handshake.auth',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'text',
  '*.text',
  'req.headers.authorization',
  'req.headers.cookie',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'tongke' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
