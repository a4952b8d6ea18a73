import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { Authenticator, Principal } from '../auth.ts';
import type { AppServices, GraphQLContext } from '../context.ts';
import { type ClientAddressOf, UNKNOWN_ADDRESS } from './clientAddress.ts';
import { logIfRefused } from './refusalLog.ts';
import { askedStreamedForm } from './streamingAccept.ts';

export interface GraphQLContextDeps {
  services: AppServices;
  auth: Authenticator;
  clientAddressOf: ClientAddressOf;
  logger: Logger;
}

/** How an operation arrived: an HTTP request, or a WebSocket authenticated at its start. */
export type OperationOrigin =
  | { kind: 'http'; request: Request; req?: IncomingMessage }
  | { kind: 'websocket'; principal: Principal };

/**
 * The GraphQL context of one operation, on every transport: the services, who is asking and
 * how the operation arrived (the open-subscriptions gauge counts by it). An HTTP request is
 * authenticated here, from its `Authorization` header (refusals logged with the client's
 * address); a WebSocket was authenticated once, at `connection_init`, and hands its principal.
 */
export async function createGraphQLContext(
  deps: GraphQLContextDeps,
  origin: OperationOrigin,
): Promise<GraphQLContext> {
  const { services, auth, clientAddressOf, logger } = deps;
  if (origin.kind === 'websocket') {
    return { ...services, principal: origin.principal, transport: 'websocket' };
  }
  const { request, req } = origin;
  const transport = askedStreamedForm(request.headers.get('accept')) ?? 'http';
  const clientAddress = req ? clientAddressOf(req) : UNKNOWN_ADDRESS;
  const principal = await auth
    .authenticate(request.headers.get('authorization'), clientAddress)
    .catch(logIfRefused(logger, clientAddress, transport));
  return { ...services, principal, transport };
}
