import { type Logger, pino } from 'pino';
import type { Config } from './config.ts';

/**
 * JSON lines on stdout. Anything that could hold a secret is redacted by path, wherever it
 * appears in a logged object: authorization headers, API keys, tokens.
 */
export function createLogger(
  level: Config['logLevel'],
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    {
      level,
      base: { service: 'engagement-summary' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'authorization',
          'Authorization',
          '*.authorization',
          '*.Authorization',
          '*.headers.authorization',
          '*.headers["x-api-key"]',
          'apiKey',
          '*.apiKey',
          'token',
          '*.token',
          'connectionParams',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
