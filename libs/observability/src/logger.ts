import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * JSON-lines logger. Credentials never reach a log line: authorization and cookie headers,
 * session and CSRF tokens, passwords and anything named like a secret are redacted at the source.
 */
export function createLogger(options: {
  service: string;
  level?: string;
  /** Where lines go (stdout by default). */
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-csrf-token"]',
          'res.headers["set-cookie"]',
          'headers.authorization',
          'headers.cookie',
          'headers["set-cookie"]',
          'headers["x-csrf-token"]',
          '*.secret',
          '*.password',
          '*.apiKey',
          '*.token',
          '*.csrfToken',
          '*.idToken',
          '*.id_token',
          'secret',
          'password',
          'token',
        ],
        censor: '[redacted]',
      },
    },
    options.destination,
  );
}
