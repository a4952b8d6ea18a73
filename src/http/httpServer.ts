import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { sendJson } from './jsonHttp.ts';
import type { EngagementYoga } from './yoga.ts';

/** A route answers the request and returns true, or returns false to pass it on. */
export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

/**
 * The one HTTP server: the plain routes first, in order, then Yoga for `/graphql` (queries,
 * mutations, SSE subscriptions and GraphiQL). WebSocket upgrades are attached separately.
 */
export function createHttpServer(routes: Route[], yoga: EngagementYoga, logger: Logger): Server {
  return createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      for (const route of routes) {
        if (await route(req, res, url)) return;
      }
      await yoga(req, res);
    } catch (error) {
      logger.error({ err: error, path: req.url?.split('?')[0] }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'Internal server error.' });
      else res.destroy();
    }
  });
}
