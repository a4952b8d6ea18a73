import { START_MUTATION, STATUS_QUERY } from './clients/graphql.ts';
import { sleep } from './stats.ts';

/** What a run left in its summary, as a user reads it over GraphQL. */
export interface CompletedRun {
  runId: string;
  meetingsCount: number;
  goals: number;
}

/**
 * Starts a run as a user would (over GraphQL, with the token when given) and polls it to its
 * end; fails unless it completed with goals.
 */
export async function runThroughService(
  url: string,
  domain: string,
  token?: string,
): Promise<CompletedRun> {
  const started = await graphql<{ startEngagementSummary: { runId: string } }>(
    url,
    START_MUTATION,
    { domain },
    token,
  );
  const runId = started.startEngagementSummary.runId;
  const deadline = Date.now() + 90_000;
  for (;;) {
    const {
      engagementStatus: [run],
    } = await graphql<{
      engagementStatus: Array<{
        status: string;
        error: string | null;
        summary: { meetingsCount: number; goals: unknown[] } | null;
      }>;
    }>(url, STATUS_QUERY, { domain, runId }, token);
    if (!run) throw new Error(`run ${runId} is not stored`);
    if (run.status === 'COMPLETE' && run.summary && run.summary.goals.length > 0) {
      return { runId, meetingsCount: run.summary.meetingsCount, goals: run.summary.goals.length };
    }
    if (run.status === 'COMPLETE' || run.status === 'ERROR') {
      throw new Error(`the run ended as ${run.status} without goals: ${run.error}`);
    }
    if (Date.now() > deadline) throw new Error(`the run is still ${run.status} after 90 s`);
    await sleep(250);
  }
}

async function graphql<T>(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  token?: string,
): Promise<T> {
  const send = () =>
    fetch(`${url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
  // A kept-alive connection may be closed by the server just as it is reused (its event
  // loop was busy, say loading the tokenizer): such a request is sent again, once.
  const response = await send().catch(() => send());
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (!body.data) throw new Error(`GraphQL failed (${response.status}): ${JSON.stringify(body)}`);
  return body.data;
}
