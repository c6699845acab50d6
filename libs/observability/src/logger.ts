import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * JSON-lines logger. Credentials never reach a log line: authorization headers and anything
 * named like a secret are redacted at the source.
 */
export function createLogger(options: { service: string; level?: string }): Logger {
  return pino({
    level: options.level ?? 'info',
    base: { service: options.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        '*.secret',
        '*.password',
        '*.apiKey',
        'secret',
      ],
      censor: '[redacted]',
    },
  });
}
