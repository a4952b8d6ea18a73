import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Authenticator } from '../../auth.ts';
import type { AppServices } from '../../context.ts';
import { AppError } from '../../errors.ts';
import type { Tracing } from '../../tracing/tracing.ts';
import { domainInput, parseInput, restRunIdInput } from '../../validation.ts';
import type { ClientAddressOf } from '../clientAddress.ts';
import { readJsonBody, sendError, sendJson } from '../jsonHttp.ts';
import { logRefusal } from '../refusalLog.ts';

const BODY_LIMIT_BYTES = 16 * 1024;

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, content-type, apikey, x-client-info',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
};

const startBody = z.object(
  { domain: z.unknown().optional() },
  { error: 'The request body must be a JSON object such as {"domain": "example.com"}.' },
);

export interface PollingRouteDeps {
  services: AppServices;
  auth: Authenticator;
  clientAddressOf: ClientAddressOf;
  logger: Logger;
  /** A span per call (and the runs it starts join its trace). */
  tracing: Tracing;
}

/**
 * The polling contract of the old edge function, unchanged: start a run, then poll its
 * record as stored. Shares validation, auth and the run service with GraphQL.
 * Returns false when the path is not one of these routes.
 */
export function createPollingRoutes(basePath: string, deps: PollingRouteDeps) {
  const { services, auth } = deps;
  const startPath = `${basePath}/engagement-summary`;
  const statusPath = `${basePath}/engagement-status`;

  return async function handlePolling(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<boolean> {
    if (url.pathname !== startPath && url.pathname !== statusPath) return false;
    await deps.tracing.inRequestSpan(
      {
        method: req.method ?? 'GET',
        route: url.pathname,
        headers: req.headers,
        statusCode: () => res.statusCode,
      },
      () => answer(req, res, url),
    );
    return true;
  };

  async function answer(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS_HEADERS).end();
      return;
    }
    const clientAddress = deps.clientAddressOf(req);
    try {
      const principal = await auth.authenticate(req.headers.authorization, clientAddress);
      if (url.pathname === startPath && req.method === 'POST') {
        const body = parseInput(startBody, await readJsonBody(req, BODY_LIMIT_BYTES));
        const domain = parseInput(domainInput, body.domain);
        await services.admitStart(principal);
        const run = await services.runs.start(domain);
        sendJson(
          res,
          200,
          { ok: true, domain: run.domain, run_id: run.run_id, status: run.status },
          CORS_HEADERS,
        );
      } else if (url.pathname === statusPath && req.method === 'GET') {
        // A missing parameter is undefined, so that the error says it is required.
        const domain = parseInput(domainInput, url.searchParams.get('domain') ?? undefined);
        const runId = parseInput(restRunIdInput, url.searchParams.get('run_id') ?? undefined);
        const raw = await services.runs.getRaw(domain, runId);
        sendJson(res, 200, raw === null ? '[]' : `[${raw}]`, CORS_HEADERS);
      } else {
        sendJson(
          res,
          405,
          { ok: false, error: `${req.method} is not allowed here.` },
          CORS_HEADERS,
        );
      }
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      logRefusal(deps.logger, error, clientAddress, 'rest');
      sendError(res, error, CORS_HEADERS);
    }
  }
}
