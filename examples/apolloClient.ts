// Starts an engagement summary run and prints its live states with Apollo Client 4: the
// mutation over HTTP, the subscription over WebSocket (graphql-ws). Every operation is sent
// by its hash alone (Apollo's persisted queries: `extensions.persistedQuery.sha256Hash`), so
// it works against a server with GRAPHQL_TRUSTED_DOCUMENTS=true. Exit code 0 when the run
// completed, 1 when it ended in ERROR or anything failed.
//
//   [ENGAGEMENT_TOKEN=…] npx tsx examples/apolloClient.ts <website> [serverUrl]
//   (serverUrl defaults to http://127.0.0.1:4000; the token is needed when the server has auth on)
import {
  ApolloClient,
  CombinedGraphQLErrors,
  HttpLink,
  InMemoryCache,
  split,
} from '@apollo/client';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { OperationTypeNode } from 'graphql';
import { createClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  documentIdOf,
  EngagementUpdatedDocument,
  type RunFieldsFragment,
  StartEngagementSummaryDocument,
} from '../src/generated/graphql.ts';

const [website, serverUrl = 'http://127.0.0.1:4000'] = process.argv.slice(2);
if (!website) {
  console.error('usage: npx tsx examples/apolloClient.ts <website> [serverUrl]');
  process.exit(1);
}
const httpUrl = `${serverUrl.replace(/\/+$/, '')}/graphql`;
const token = process.env.ENGAGEMENT_TOKEN;
const auth: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};

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
const client = new ApolloClient({ link, cache: new InMemoryCache() });

/** `v3 FETCHING_MEETINGS meetings=4`: the stage while processing, else the final status. */
function printState(run: RunFieldsFragment): void {
  const step = run.status === 'PROCESSING' ? run.progress.stage : run.status;
  const found = run.progress.meetingsFound;
  console.log(`v${run.version} ${step}${found === null ? '' : ` meetings=${found}`}`);
}

/** Counts, then each goal and challenge with the ids of the meetings it cites. */
function printSummary({ summary }: RunFieldsFragment): void {
  if (!summary) return;
  console.log(`${summary.meetingsCount} meetings, ${summary.people.length} people`);
  const cited = (ids: string[]) => `[${ids.join(', ')}]`;
  for (const goal of summary.goals) console.log(`goal: ${goal.text} ${cited(goal.meetingIds)}`);
  for (const c of summary.challenges) console.log(`challenge: ${c.text} ${cited(c.meetingIds)}`);
}

/** GraphQL errors carry `extensions.code` (BAD_USER_INPUT, UNAUTHENTICATED, …); print it. */
function printError(error: unknown): void {
  if (CombinedGraphQLErrors.is(error)) {
    for (const { message, extensions } of error.errors) {
      console.error(`error: ${message} (${extensions?.code ?? 'no code'})`);
    }
  } else {
    const cause = error instanceof Error && error.cause ? ` (${String(error.cause)})` : '';
    console.error(`error: ${error instanceof Error ? error.message : String(error)}${cause}`);
  }
}

/** Starts the run, then resolves with its last state once the subscription has ended. */
async function startAndWatch(website: string): Promise<RunFieldsFragment> {
  // `no-cache`: this script only reads results as they arrive; nothing needs caching.
  // With the default errorPolicy ('none') a GraphQL error rejects with CombinedGraphQLErrors.
  const { data } = await client.mutate({
    mutation: StartEngagementSummaryDocument,
    variables: { domain: website },
    fetchPolicy: 'no-cache',
  });
  if (!data) throw new Error('the mutation returned no data');
  const { domain, runId, run: first } = data.startEngagementSummary;
  console.log(`run ${runId} for ${domain}`);
  printState(first); // the mutation already returns the run's first state (v1 QUEUED)

  // The server sends the current state, then each new state; it completes after the last.
  // Versions only grow, so a state already printed (here v1) is skipped.
  return new Promise((resolve, reject) => {
    let last = first;
    client
      .subscribe({
        query: EngagementUpdatedDocument,
        variables: { domain, runId },
        fetchPolicy: 'no-cache',
      })
      .subscribe({
        // Apollo Client 4 delivers errors as a result with `error` set, then completes.
        next: ({ data: update, error }) => {
          if (error) return reject(error);
          const run = update?.engagementUpdated;
          if (!run || run.version <= last.version) return;
          last = run;
          printState(run);
        },
        error: reject,
        complete: () => resolve(last),
      });
  });
}

try {
  const run = await startAndWatch(website);
  if (run.status === 'COMPLETE') printSummary(run);
  else if (run.status === 'ERROR') console.error(`run failed: ${run.error}`);
  else console.error('the subscription ended before the run did');
  process.exitCode = run.status === 'COMPLETE' ? 0 : 1;
} catch (error) {
  printError(error);
  process.exitCode = 1;
} finally {
  // Close the socket and stop the client, so nothing keeps the process alive.
  client.stop();
  await wsClient.dispose();
}
