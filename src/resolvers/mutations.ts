import type { GraphQLContext } from '../context.ts';
import type { RunRecord } from '../model/runRecord.ts';
import { domainInput, parseInput, runIdInput } from '../validation.ts';
import type { RunArgs } from './queries.ts';

/**
 * The Mutation root's resolvers: plain functions from the field's arguments and the context
 * to run-service calls, validating the arguments first so nothing is written on bad input.
 */

export interface DomainArgs {
  domain: string;
}

/** What `startEngagementSummary` answers: the run it wrote. */
export interface StartedRun {
  ok: true;
  run: RunRecord;
}

export async function startEngagementSummary(
  args: DomainArgs,
  { runs, admitStart, principal }: GraphQLContext,
): Promise<StartedRun> {
  const domain = parseInput(domainInput, args.domain);
  await admitStart(principal);
  const run = await runs.start(domain);
  return { ok: true, run };
}

export function deleteEngagement(args: RunArgs, { runs }: GraphQLContext): Promise<boolean> {
  return runs.delete(parseInput(domainInput, args.domain), parseInput(runIdInput, args.runId));
}

export function deleteEngagements(args: DomainArgs, { runs }: GraphQLContext): Promise<number> {
  return runs.deleteAll(parseInput(domainInput, args.domain));
}
