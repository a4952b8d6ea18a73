import type { IncomingMessage, ServerResponse } from 'node:http';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { ClientAddressOf } from './clientAddress.ts';
import { sendJson } from './jsonHttp.ts';

/**
 * Limits that keep one client from hurting the service: query shape limits
 * (graphql-armor: depth, aliases, cost, tokens, directives), CSRF prevention for browser
 * requests, and a bound on request bodies.
 */
export const GRAPHQL_LIMITS = {
  maxAliases: 15,
  maxCost: 5000,
  maxTokens: 1500,
  maxDirectives: 50,
} as const;

/** The header CSRF prevention asks for; our own scripts (GraphiQL) send it. */
export const CSRF_PREVENTION_HEADER = 'x-graphql-yoga-csrf';

export function hardeningPlugins(options: { maxDepth: number }): Plugin[] {
  return [
    EnvelopArmorPlugin({
      maxDepth: { n: options.maxDepth, ignoreIntrospection: true },
      maxAliases: { n: GRAPHQL_LIMITS.maxAliases },
      costLimit: { maxCost: GRAPHQL_LIMITS.maxCost },
      maxTokens: { n: GRAPHQL_LIMITS.maxTokens },
      maxDirectives: { n: GRAPHQL_LIMITS.maxDirectives },
    }) as Plugin,
    // A browser can send a "simple" cross-site request (a GET, or a form POST) without a
    // preflight; GraphQL over such requests needs this header, which only scripts can add.
    useCSRFPrevention({
      requestHeaders: [
        CSRF_PREVENTION_HEADER,
        'apollo-require-preflight',
        'x-apollo-operation-name',
      ],
    }) as Plugin,
  ];
}

/**
 * Refuses a GraphQL request body larger than `limitBytes` (413) before it is read, and one
 * of unknown length (411), since its size could not be bounded without reading it.
 */
export function bodyLimitRoute(
  path: string,
  limitBytes: number,
  log: { clientAddressOf: ClientAddressOf; logger: Logger },
) {
  const refuse = (req: IncomingMessage, res: ServerResponse, status: number, message: string) => {
    log.logger.debug({ clientAddress: log.clientAddressOf(req), status }, message);
    sendJson(res, status, { errors: [{ message }] });
    return true;
  };
  return async function limitBody(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<boolean> {
    if (url.pathname !== path || req.method !== 'POST') return false;
    const length = req.headers['content-length'];
    if (length === undefined) return refuse(req, res, 411, 'A Content-Length header is required.');
    if (Number(length) > limitBytes) {
      return refuse(req, res, 413, `The request body is larger than ${limitBytes} bytes.`);
    }
    return false;
  };
}
