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
  options: { keepAliveMs?: number; maxPayloadBytes?: number } = {},
): WebSocketTransport {
  const wss = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    maxPayload: options.maxPayloadBytes ?? 100 * 1024,
  });

  const disposable = useServer<Record<string, unknown>, Extra>(
    {
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const header = params.Authorization ?? params.authorization;
        try {
          ctx.extra.principal = await auth.authenticate(
            typeof header === 'string' ? header : undefined,
            ctx.extra.request.socket.remoteAddress,
          );
          return true;
        } catch {
          return false;
        }
      },
      onSubscribe: async (ctx, _id, payload) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          principal: ctx.extra.principal,
          params: payload,
        });
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const args: EnvelopedArgs = {
          schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length > 0) return errors;
        return args;
      },
      execute: (args) => (args as EnvelopedArgs).rootValue.execute(args) as never,
      subscribe: (args) => (args as EnvelopedArgs).rootValue.subscribe(args) as never,
    },
    wss,
    options.keepAliveMs ?? 12_000,
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
