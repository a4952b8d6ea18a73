// Starts an engagement summary run and prints its live states with Apollo Client 4: the
// mutation over HTTP, the subscription over WebSocket (graphql-ws). Every operation is sent
// by its hash alone (Apollo's persisted queries: `extensions.persistedQuery.sha256Hash`), so
// it works against a server with GRAPHQL_TRUSTED_DOCUMENTS=true. Exit code 0 when the run
// completed, 1 when it ended in ERROR or anything failed.
//
//   [ENGAGEMENT_TOKEN=…] npx tsx examples/apolloClient.ts <website> [serverUrl]
//   (serverUrl defaults to http://127.0.0.1:4000; the token is needed when the server has auth on)
import { ApolloClient, HttpLink, InMemoryCache, split } from '@apollo/client';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { OperationTypeNode } from 'graphql';
import { createClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { documentIdOf } from '../src/generated/graphql.ts';
import { watchOneRun } from './apolloRun.ts';
import { exampleArguments } from './runOutput.ts';

const { website, httpUrl, auth } = exampleArguments('apolloClient.ts');

// Node 20 has no global WebSocket, so graphql-ws is given the `ws` package. The token goes in
// the connection_init payload; the server closes the socket with 4401/4403 when it is wrong.
const wsClient = createClient({
  url: httpUrl.replace(/^http/, 'ws'),
  webSocketImpl: WebSocket,
  connectionParams: auth,
  retryAttempts: 0, // a CLI fails fast; a long-lived UI would keep the default retries
});

// The persisted-query link puts each document's hash (generated beside it by codegen, the
// key of persisted-documents.json) in `extensions`; the HTTP link then leaves the text out.
const persistedQueries = createPersistedQueryLink({ generateHash: documentIdOf });
// GraphQLWsLink sends the text as well; the server needs only the hash in `extensions`, and
// graphql-ws wants `query` to be a string: "".
const hashOnlyWsClient: WsClient = {
  ...wsClient,
  subscribe: (payload, sink) => wsClient.subscribe({ ...payload, query: '' }, sink),
};
// Subscriptions go to the WebSocket link, everything else (our mutation) to the HTTP link.
const link = persistedQueries.concat(
  split(
    (operation) => operation.operationType === OperationTypeNode.SUBSCRIPTION,
    new GraphQLWsLink(hashOnlyWsClient),
    new HttpLink({ uri: httpUrl, headers: auth }),
  ),
);

await watchOneRun(new ApolloClient({ link, cache: new InMemoryCache() }), website);
// Close the socket, so nothing keeps the process alive.
await wsClient.dispose();
