import pino, { Logger } from 'pino';

/**
 * Structured JSON logs. Anything that could carry a credential is redacted by
 * path, and nothing in the code logs request bodies or variables.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'password',
  'secret',
  'refreshToken',
  'accessToken',
  '*.password',
  '*.secret',
  '*.refreshToken',
  '*.accessToken',
  'variables',
  '*.variables',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'tokengate' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
export type { Logger };
