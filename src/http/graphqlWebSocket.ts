import type { Server } from 'node:http';
import { type DocumentNode, type ExecutionArgs, GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Authenticator, Principal } from '../auth.ts';
import type { EngagementYoga } from './yoga.ts';

export interface WebSocketTransport {
  /** Closes every socket (1001, going away) and stops accepting new ones. */
  close(): Promise<void>;
  readonly openConnections: number;
}

type Extra = { principal?: Principal };

type EnvelopedArgs = ExecutionArgs & {
  rootValue: {
    execute: (args: ExecutionArgs) => unknown;
    subscribe: (args: ExecutionArgs) => unknown;
  };
};

/**
 * GraphQL over WebSocket (`graphql-transport-ws`) on the HTTP server's `/graphql` path,
 * executing through Yoga's envelop so that the plugins, error masking and context are the
 * same as over HTTP. The token is checked once, in `connection_init`; a bad one closes the
 * socket with 4403.
 */
export function attachGraphQLWebSocket(
  server: Server,
  yoga: EngagementYoga,
  auth: Authenticator,
  options: {
    keepAliveMs: number;
    maxPayloadBytes: number;
    maxConnections: number;
    maxConnectionsPerClient: number;
  },
): WebSocketTransport {
  const perClient = new Map<string, number>();
  const wss = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    maxPayload: options.maxPayloadBytes,
    // Refused at the upgrade, before any socket state is held: 503 and the client retries later.
    verifyClient: (info, accept) => {
      const address = info.req.socket.remoteAddress ?? 'unknown';
      if (wss.clients.size >= options.maxConnections) {
        accept(false, 503, 'Too many WebSocket connections');
      } else if ((perClient.get(address) ?? 0) >= options.maxConnectionsPerClient) {
        accept(false, 429, 'Too many WebSocket connections from this client');
      } else {
        accept(true);
      }
    },
  });
  wss.on('connection', (socket, request) => {
    const address = request.socket.remoteAddress ?? 'unknown';
    perClient.set(address, (perClient.get(address) ?? 0) + 1);
    socket.once('close', () => {
      const left = (perClient.get(address) ?? 1) - 1;
      if (left <= 0) perClient.delete(address);
      else perClient.set(address, left);
    });
  });

  const disposable = useServer<Record<string, unknown>, Extra>(
    {
      // Never put an internal error's message into a close reason a client can read.
      isProd: true,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const header = params.Authorization ?? params.authorization;
        try {
          ctx.extra.principal = await auth.authenticate(
            typeof header === 'string' ? header : undefined,
            ctx.extra.request.socket.remoteAddress,
          );
          // The upgrade request (headers and all) is not needed once the principal is known;
          // not keeping it saves a few KB per open connection.
          (ctx.extra as { request?: unknown }).request = undefined;
          return true;
        } catch {
          return false;
        }
      },
      onSubscribe: async (ctx, _id, payload) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          socket: ctx.extra.socket,
          principal: ctx.extra.principal,
          params: payload,
        });
        let document: DocumentNode;
        let errors: readonly GraphQLError[];
        try {
          document = parse(payload.query);
          errors = validate(schema, document);
        } catch (error) {
          // Syntax errors and limits that throw (graphql-armor) go back to the client.
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        if (errors.length > 0) return [...errors];
        const args: EnvelopedArgs = {
          schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        return args;
      },
      execute: (args) => (args as EnvelopedArgs).rootValue.execute(args) as never,
      subscribe: (args) => (args as EnvelopedArgs).rootValue.subscribe(args) as never,
    },
    wss,
    options.keepAliveMs,
  );

  return {
    get openConnections() {
      return wss.clients.size;
    },
    async close() {
      await disposable.dispose();
    },
  };
}
