// The run an Apollo Client example starts and watches, whatever link carries it.
import { type ApolloClient, CombinedGraphQLErrors } from '@apollo/client';
import {
  EngagementUpdatedDocument,
  type RunFieldsFragment,
  StartEngagementSummaryDocument,
} from '../src/generated/graphql.ts';
import { printState, printSummary } from './runOutput.ts';

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
async function startAndWatch(client: ApolloClient, website: string): Promise<RunFieldsFragment> {
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

/**
 * Runs the example to its end: the run's states, then its summary, or the error. Sets the
 * exit code: 0 when the run completed, 1 when it ended in ERROR or anything failed.
 */
export async function watchOneRun(client: ApolloClient, website: string): Promise<void> {
  try {
    const run = await startAndWatch(client, website);
    if (run.status === 'COMPLETE') printSummary(run);
    else if (run.status === 'ERROR') console.error(`run failed: ${run.error}`);
    else console.error('the subscription ended before the run did');
    process.exitCode = run.status === 'COMPLETE' ? 0 : 1;
  } catch (error) {
    printError(error);
    process.exitCode = 1;
  } finally {
    client.stop();
  }
}
