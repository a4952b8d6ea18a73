// What every client example shares: its command line, and how it prints a run.
import type { RunFieldsFragment } from '../src/generated/graphql.ts';

export interface ExampleArguments {
  website: string;
  /** The server's GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  httpUrl: string;
  /** `{ Authorization: "Bearer …" }` from ENGAGEMENT_TOKEN, or nothing when it is unset. */
  auth: Record<string, string>;
}

/** `<website> [serverUrl]` (serverUrl defaults to http://127.0.0.1:4000); exits on misuse. */
export function exampleArguments(script: string): ExampleArguments {
  const [website, serverUrl = 'http://127.0.0.1:4000'] = process.argv.slice(2);
  if (!website) {
    console.error(`usage: npx tsx examples/${script} <website> [serverUrl]`);
    process.exit(1);
  }
  const token = process.env.ENGAGEMENT_TOKEN;
  return {
    website,
    httpUrl: `${serverUrl.replace(/\/+$/, '')}/graphql`,
    auth: token ? { Authorization: `Bearer ${token}` } : {},
  };
}

/** `v3 FETCHING_MEETINGS meetings=4`: the stage while processing, else the final status. */
export function printState(run: RunFieldsFragment): void {
  const step = run.status === 'PROCESSING' ? run.progress.stage : run.status;
  const found = run.progress.meetingsFound;
  console.log(`v${run.version} ${step}${found === null ? '' : ` meetings=${found}`}`);
}

/** Counts, then each goal and challenge with the ids of the meetings it cites. */
export function printSummary({ summary }: RunFieldsFragment): void {
  if (!summary) return;
  console.log(`${summary.meetingsCount} meetings, ${summary.people.length} people`);
  const cited = (ids: string[]) => `[${ids.join(', ')}]`;
  for (const goal of summary.goals) console.log(`goal: ${goal.text} ${cited(goal.meetingIds)}`);
  for (const c of summary.challenges) console.log(`challenge: ${c.text} ${cited(c.meetingIds)}`);
}
