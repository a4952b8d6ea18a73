import { Writable } from 'node:stream';
import type { Logger, pino } from 'pino';
import { createLogger } from '../../src/logger.ts';

/** The service's own logger (same redaction), writing JSON lines into memory. */
export function capturingLogger(level: 'debug' | 'trace' = 'debug'): {
  logger: Logger;
  lines: string[];
} {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger(level, sink as unknown as pino.DestinationStream), lines };
}
