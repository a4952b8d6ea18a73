// Starts an engagement summary run and prints its live states with Apollo Client 4: the
// mutation over HTTP, the subscription over WebSocket (graphql-ws). Exit code 0 when the run
// completed, 1 when it ended in ERROR or anything failed.
//
//   [ENGAGEMENT_TOKEN=…] npx tsx examples/apolloClient.ts <website> [serverUrl]
//   (serverUrl defaults to http://127.0.0.1:4000; the token is needed when the server has auth on)
import { ApolloClient, HttpLink, InMemoryCache, split } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { OperationTypeNode } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
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

// Subscriptions go to the WebSocket link, everything else (our mutation) to the HTTP link.
const link = split(
  (operation) => operation.operationType === OperationTypeNode.SUBSCRIPTION,
  new GraphQLWsLink(wsClient),
  new HttpLink({ uri: httpUrl, headers: auth }),
);

await watchOneRun(new ApolloClient({ link, cache: new InMemoryCache() }), website);
// Close the socket, so nothing keeps the process alive.
await wsClient.dispose();
