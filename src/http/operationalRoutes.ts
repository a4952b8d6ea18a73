import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './jsonHttp.ts';

export interface OperationalDeps {
  /** Resolves when every dependency answers (Redis, when configured). */
  checkReady(): Promise<void>;
  readyTimeoutMs?: number;
}

/** `/healthz` (the process is up) and `/readyz` (its dependencies answer). */
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
    if (url.pathname === '/readyz') {
      try {
        await withTimeout(deps.checkReady(), timeoutMs);
        sendJson(res, 200, { status: 'ready' });
      } catch {
        sendJson(res, 503, { status: 'unavailable' });
      }
      return true;
    }
    return false;
  };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
