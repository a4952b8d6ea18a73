import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Authenticator } from '../../auth.ts';
import { AppError } from '../../errors.ts';
import type { ServiceMetrics } from '../../metrics.ts';
import { withTimeout } from '../../timing.ts';
import type { ClientAddressOf } from '../clientAddress.ts';
import { sendError, sendJson } from '../jsonHttp.ts';
import { logRefusal } from '../refusalLog.ts';

export interface OperationalDeps {
  /** Resolves when every dependency answers (Redis, when configured). */
  checkReady(): Promise<void>;
  metrics: ServiceMetrics;
  auth: Authenticator;
  clientAddressOf: ClientAddressOf;
  logger: Logger;
  readyTimeoutMs?: number;
}

/**
 * `/healthz` (the process is up) and `/readyz` (its dependencies answer), open to all;
 * `/metrics` (Prometheus text), which needs the bearer token when auth is on.
 */
export function createOperationalRoutes(deps: OperationalDeps) {
  const timeoutMs = deps.readyTimeoutMs ?? 1000;
  return async function handleOperational(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<boolean> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (url.pathname === '/healthz') {
      sendJson(res, 200, { status: 'ok' });
      return true;
    }
    if (url.pathname === '/metrics') {
      const clientAddress = deps.clientAddressOf(req);
      try {
        await deps.auth.authenticate(req.headers.authorization, clientAddress);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        logRefusal(deps.logger, error, clientAddress, 'rest');
        sendError(res, error);
        return true;
      }
      const body = await deps.metrics.render();
      res.writeHead(200, { 'content-type': deps.metrics.contentType, 'cache-control': 'no-store' });
      res.end(body);
      return true;
    }
    if (url.pathname === '/readyz') {
      try {
        await withTimeout(deps.checkReady(), timeoutMs);
        sendJson(res, 200, { status: 'ready' });
      } catch (error) {
        deps.logger.warn({ err: error }, 'readiness check failed');
        sendJson(res, 503, { status: 'unavailable' });
      }
      return true;
    }
    return false;
  };
}
