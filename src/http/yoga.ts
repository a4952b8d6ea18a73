import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Authenticator, Principal } from '../auth.ts';
import type { AppServices, GraphQLContext } from '../context.ts';
import type { ClientAddressOf } from './clientAddress.ts';
import { findAppError, MASKED_ERROR_MESSAGE, maskError } from './errorMasking.ts';
import { graphiqlOptions } from './graphiql.ts';
import { createGraphQLContext } from './graphqlContext.ts';
import { useDisabledIntrospection } from './plugins/useDisabledIntrospection.ts';
import { useRefusalLog } from './plugins/useRefusalLog.ts';

/** What node:http hands Yoga, plus what the WebSocket transport sets for its operations. */
export interface ServerContext {
  req?: IncomingMessage;
  res?: ServerResponse;
  /** Set by the WebSocket server, which authenticates once per connection. */
  principal?: Principal;
}

export type EngagementYoga = YogaServerInstance<ServerContext, GraphQLContext>;

export interface YogaDeps {
  schema: GraphQLSchema;
  services: AppServices;
  auth: Authenticator;
  clientAddressOf: ClientAddressOf;
  logger: Logger;
  introspection: boolean;
  plugins?: Plugin[];
}

export function createEngagementYoga(deps: YogaDeps): EngagementYoga {
  const { logger } = deps;
  return createYoga<ServerContext, GraphQLContext>({
    schema: deps.schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: graphiqlOptions(),
    // GraphiQL's assets are served by this server, so the page works without internet. The
    // bundle holds ~57 MB once loaded: it is loaded when GraphiQL is first opened, not at start.
    renderGraphiQL: async (options) =>
      (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options),
    maskedErrors: { maskError, errorMessage: MASKED_ERROR_MESSAGE },
    logging: {
      // Yoga reports a few debug lines on every request: build them only when shown.
      debug: (...args) => {
        if (logger.isLevelEnabled('debug')) logger.debug(args.join(' '));
      },
      info: (...args) => logger.info(args.join(' ')),
      warn: (...args) => logger.warn(args.join(' ')),
      // Yoga reports every error it masks. A refusal (bad input, no token, a limit) is not
      // the service failing, and is logged with the client's address where it is decided
      // (useRefusalLog, the context below); anything else is an error with its stack.
      error: (first, ...rest) => {
        if (!findAppError(first))
          logger.error(
            { err: first, detail: rest.length > 0 ? rest : undefined },
            'GraphQL request failed',
          );
      },
    },
    plugins: [
      ...(deps.introspection ? [] : [useDisabledIntrospection()]),
      useRefusalLog(logger),
      ...(deps.plugins ?? []),
    ],
    context: (initial) =>
      createGraphQLContext(
        deps,
        initial.principal
          ? { kind: 'websocket', principal: initial.principal }
          : { kind: 'http', request: initial.request, req: initial.req },
      ),
  });
}
