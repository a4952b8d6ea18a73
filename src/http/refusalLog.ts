import type { Logger } from 'pino';
import { AppError, type ErrorCode } from '../errors.ts';

/** Where a refused request arrived. */
export type RefusedTransport = 'http' | 'sse' | 'multipart' | 'websocket' | 'rest';

/**
 * One log line per request the service refused, with the client's address (after
 * TRUST_PROXY) and the code the client was given. Failed auth and rate limits are `info`,
 * since an operator watches for them; a client's mistake (bad input, an unknown run) is
 * `debug`. The message is the one the client read: user-facing, never holding a secret.
 */
export function logRefusal(
  logger: Logger,
  refusal: { code: ErrorCode; message: string },
  clientAddress: string,
  transport: RefusedTransport,
): void {
  const level =
    refusal.code === 'UNAUTHENTICATED' || refusal.code === 'RATE_LIMITED' ? 'info' : 'debug';
  if (!logger.isLevelEnabled(level)) return;
  logger[level]({ clientAddress, transport, code: refusal.code }, refusal.message);
}

/** Logs `error` as a refusal when it is one of ours (an AppError), and rethrows it. */
export function logIfRefused(
  logger: Logger,
  clientAddress: string,
  transport: RefusedTransport,
): (error: unknown) => never {
  return (error) => {
    if (error instanceof AppError) logRefusal(logger, error, clientAddress, transport);
    throw error;
  };
}
