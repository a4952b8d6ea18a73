// Starts an engagement summary run and prints its live states with urql (@urql/core): the
// mutation over HTTP (fetchExchange), the subscription over WebSocket (subscriptionExchange
// forwarding to graphql-ws). Every operation is sent by its hash alone
// (`extensions.persistedQuery.sha256Hash`), so it works against a server with
// GRAPHQL_TRUSTED_DOCUMENTS=true. Exit code 0 when the run completed, 1 when it ended in
// ERROR or anything failed.
//
//   [ENGAGEMENT_TOKEN=…] npx tsx examples/urqlClient.ts <website> [serverUrl]
//   (serverUrl defaults to http://127.0.0.1:4000; the token is needed when the server has auth on)
import {
  Client,
  CombinedError,
  fetchExchange,
  makeOperation,
  mapExchange,
  subscriptionExchange,
} from '@urql/core';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  documentIdOf,
  EngagementUpdatedDocument,
  type RunFieldsFragment,
  StartEngagementSummaryDocument,
} from '../src/generated/graphql.ts';
import { exampleArguments, printState, printSummary } from './runOutput.ts';

const { website, httpUrl, auth } = exampleArguments('urqlClient.ts');

// Node 20 has no global WebSocket, so graphql-ws is given the `ws` package. The token goes in
// the connection_init payload; the server closes the socket with 4401/4403 when it is wrong.
const wsClient = createClient({
  url: httpUrl.replace(/^http/, 'ws'),
  webSocketImpl: WebSocket,
  connectionParams: auth,
  retryAttempts: 0, // a CLI fails fast; a long-lived UI would keep the default retries
});

// Names each operation by its document's hash (generated beside it by codegen, the key of
// persisted-documents.json) as a persisted query: urql then leaves the text out, over HTTP
// and in what it forwards to graphql-ws (where `query` becomes "", below).
const persistedDocuments = mapExchange({
  onOperation: (operation) =>
    makeOperation(
      operation.kind,
      {
        ...operation,
        extensions: {
          ...operation.extensions,
          persistedQuery: { version: 1, sha256Hash: documentIdOf(operation.query) },
        },
      },
      operation.context,
    ),
});

// No cacheExchange: every result is printed as it arrives. Subscriptions are handed to
// graphql-ws, everything else (our mutation) goes over HTTP with the bearer token.
const client = new Client({
  url: httpUrl,
  fetchOptions: { headers: auth },
  exchanges: [
    persistedDocuments,
    subscriptionExchange({
      forwardSubscription: (request) => ({
        subscribe: (sink) => ({
          unsubscribe: wsClient.subscribe({ ...request, query: request.query ?? '' }, sink),
        }),
      }),
    }),
    fetchExchange,
  ],
});

/** GraphQL errors carry `extensions.code` (BAD_USER_INPUT, UNAUTHENTICATED, …); print it. */
function printError(error: unknown): void {
  if (error instanceof CombinedError && error.graphQLErrors.length > 0) {
    for (const { message, extensions } of error.graphQLErrors) {
      console.error(`error: ${message} (${extensions.code ?? 'no code'})`);
    }
  } else {
    // A network error: fetch failed (server down), or graphql-ws passed on the socket's
    // CloseEvent, which is not an Error (code 4401/4403: refused token; 1006: connection lost).
    const inner: unknown = error instanceof CombinedError ? error.networkError : error;
    if (inner instanceof Error) {
      console.error(`error: ${inner.message}${inner.cause ? ` (${String(inner.cause)})` : ''}`);
    } else {
      const code = (inner as { code?: number } | undefined)?.code;
      console.error(code ? `error: the socket closed (code ${code})` : `error: ${String(inner)}`);
    }
  }
}

/** Starts the run, then resolves with its final state (COMPLETE or ERROR). */
async function startAndWatch(website: string): Promise<RunFieldsFragment> {
  // urql never throws for a failed operation: the result carries `error` (a CombinedError).
  const started = await client
    .mutation(StartEngagementSummaryDocument, { domain: website })
    .toPromise();
  if (started.error || !started.data) throw started.error ?? new Error('no data returned');
  const { domain, runId, run: first } = started.data.startEngagementSummary;
  console.log(`run ${runId} for ${domain}`);
  printState(first); // the mutation already returns the run's first state (v1 QUEUED)

  // The server sends the current state, then each new state, and completes right after
  // COMPLETE or ERROR; so a terminal state is the end. Versions only grow: skip repeats.
  return new Promise((resolve, reject) => {
    let last = first;
    client
      .subscription(EngagementUpdatedDocument, { domain, runId })
      .subscribe(({ data, error }) => {
        if (error) return reject(error);
        const run = data?.engagementUpdated;
        if (!run || run.version <= last.version) return;
        last = run;
        printState(run);
        if (run.status !== 'PROCESSING') resolve(run);
      });
  });
}

try {
  const run = await startAndWatch(website);
  if (run.status === 'COMPLETE') printSummary(run);
  else console.error(`run failed: ${run.error}`);
  process.exitCode = run.status === 'COMPLETE' ? 0 : 1;
} catch (error) {
  printError(error);
  process.exitCode = 1;
} finally {
  // urql's Client holds nothing open; closing the socket lets the process exit by itself.
  await wsClient.dispose();
}
