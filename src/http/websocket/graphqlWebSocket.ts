import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { Authenticator } from '../../auth.ts';
import type { Tracing } from '../../tracing/tracing.ts';
import type { ClientAddressOf } from '../clientAddress.ts';
import { logIfRefused } from '../refusalLog.ts';
import type { SerialisedResults } from '../serialisedResults.ts';
import type { SharedSubscriptions } from '../sharedSubscriptions.ts';
import type { TrustedDocuments } from '../trustedDocuments.ts';
import type { UnsentDataLimit } from '../unsentDataLimit.ts';
import type { EngagementYoga } from '../yoga.ts';
import { runEnvelopedOperation } from './envelopedOperations.ts';
import {
  type ConnectionDeps,
  GRAPHQL_TRANSPORT_WS,
  GraphQLWsConnection,
  type Subscriber,
} from './graphqlWsConnection.ts';
import { startKeepAliveSweep } from './keepAliveSweep.ts';
import { TurnWrites } from './turnWrites.ts';

export interface WebSocketTransport {
  /** Closes every socket (1001, going away) and stops accepting new ones. */
  close(): Promise<void>;
  readonly openConnections: number;
}

export interface WebSocketTransportDeps {
  yoga: EngagementYoga;
  /** GRAPHQL_TRUSTED_DOCUMENTS: the same rule as over HTTP, for every operation. */
  trustedDocuments: TrustedDocuments;
  auth: Authenticator;
  clientAddressOf: ClientAddressOf;
  logger: Logger;
  /** MAX_UNSENT_BYTES: a socket whose client stops reading is closed past it. */
  unsentLimit: UnsentDataLimit;
  /** The JSON of each result, shared with the other streaming transports of the process. */
  serialisedResults: SerialisedResults;
  /** Told of each subscription that joins a stream another one opened. */
  tracing: Tracing;
  /**
   * Where identical subscriptions of a shared-stream field share one execution: the same
   * for every transport, so WebSocket and streamed HTTP subscribers of one operation share it.
   */
  sharedSubscriptions: SharedSubscriptions;
}

export interface WebSocketOptions {
  keepAliveMs: number;
  maxPayloadBytes: number;
  maxConnections: number;
  maxConnectionsPerClient: number;
  /** How long a socket may stay open without `connection_init` (4408 after it). */
  initTimeoutMs: number;
}

/**
 * GraphQL over WebSocket (`graphql-transport-ws`, what graphql-ws clients speak) on the HTTP
 * server's `/graphql` path. The token is checked once, in `connection_init`; a bad one closes
 * the socket with 4403. Every operation runs through Yoga's envelop as over HTTP, with the
 * connection's principal; a result shared by many subscribers (one execution per run state
 * and distinct operation) is serialised once for all of them. A client that stops reading is
 * closed (1013) once its unsent data passes MAX_UNSENT_BYTES.
 */
export function attachGraphQLWebSocket(
  server: Server,
  deps: WebSocketTransportDeps,
  options: WebSocketOptions,
): WebSocketTransport {
  const { yoga, auth, logger, clientAddressOf } = deps;
  const results = deps.serialisedResults;
  const turnWrites = new TurnWrites();
  const operationDeps = {
    yoga,
    trustedDocuments: deps.trustedDocuments,
    results,
    logger,
    tracing: deps.tracing,
  };
  const shared = deps.sharedSubscriptions;
  const operations = {
    start: (subscriber: Subscriber) => {
      runEnvelopedOperation(operationDeps, subscriber, shared).catch((error: unknown) =>
        subscriber.abort(error),
      );
    },
  };

  const perClient = new Map<string, number>();
  const wss = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    maxPayload: options.maxPayloadBytes,
    handleProtocols: (protocols) =>
      protocols.has(GRAPHQL_TRANSPORT_WS) ? GRAPHQL_TRANSPORT_WS : false,
    // Refused at the upgrade, before any socket state is held: 503 and the client retries later.
    verifyClient: (info, accept) => {
      const clientAddress = clientAddressOf(info.req);
      if (wss.clients.size >= options.maxConnections) {
        logger.info({ clientAddress, status: 503 }, 'WebSocket refused: too many connections');
        accept(false, 503, 'Too many WebSocket connections');
      } else if ((perClient.get(clientAddress) ?? 0) >= options.maxConnectionsPerClient) {
        logger.info(
          { clientAddress, status: 429 },
          'WebSocket refused: too many connections from this client',
        );
        accept(false, 429, 'Too many WebSocket connections from this client');
      } else {
        accept(true);
      }
    },
  });

  const stopKeepAlive = startKeepAliveSweep(wss, options.keepAliveMs);
  // One object for every connection: a connection holds its client's address, not closures.
  const connectionDeps: ConnectionDeps = {
    operations,
    turnWrites,
    initTimeoutMs: options.initTimeoutMs,
    authenticate: (params, clientAddress) => {
      const header = params.Authorization ?? params.authorization;
      return auth
        .authenticate(typeof header === 'string' ? header : undefined, clientAddress)
        .catch(logIfRefused(logger, clientAddress, 'websocket'));
    },
    tooFarBehind: (unsentBytes, clientAddress) =>
      deps.unsentLimit.tooFarBehind('websocket', clientAddress, unsentBytes),
    onInternalError: (error, clientAddress) =>
      logger.error({ err: error, clientAddress }, 'WebSocket message failed'),
    onSocketError: (error, clientAddress) =>
      logger.debug({ err: error, clientAddress }, 'WebSocket error'),
    onClosed: (code, clientAddress) => {
      logger.debug({ clientAddress, code }, 'WebSocket closed');
      const left = (perClient.get(clientAddress) ?? 1) - 1;
      if (left <= 0) perClient.delete(clientAddress);
      else perClient.set(clientAddress, left);
    },
  };
  wss.on('connection', (socket, request) => {
    const clientAddress = clientAddressOf(request);
    perClient.set(clientAddress, (perClient.get(clientAddress) ?? 0) + 1);
    logger.debug({ clientAddress }, 'WebSocket opened');
    new GraphQLWsConnection(socket, request.socket, clientAddress, connectionDeps);
  });

  return {
    get openConnections() {
      return wss.clients.size;
    },
    async close() {
      stopKeepAlive();
      for (const socket of wss.clients) socket.close(1001, 'Going away');
      await new Promise<void>((resolve, reject) =>
        wss.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
