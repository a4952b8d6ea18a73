import type { GraphQLContext } from '../context.ts';
import type { RunRecord } from '../model/runRecord.ts';
import { domainInput, listLimitInput, parseInput, runIdInput } from '../validation.ts';

/**
 * The Query root's resolvers: plain functions from the field's arguments and the context to
 * run-service calls. Arguments arrive as GraphQL typed them and are validated here.
 */

export interface RunArgs {
  domain: string;
  runId: string | number;
}

export interface RunListArgs {
  domain: string;
  limit?: number | null;
}

/** The polling contract: `[]` when there is no such run, else a one-element list. */
export async function engagementStatus(
  args: RunArgs,
  context: GraphQLContext,
): Promise<RunRecord[]> {
  const run = await engagement(args, context);
  return run ? [run] : [];
}

export function engagement(args: RunArgs, { runs }: GraphQLContext): Promise<RunRecord | null> {
  return runs.get(parseInput(domainInput, args.domain), parseInput(runIdInput, args.runId));
}

export function engagements(args: RunListArgs, { runs }: GraphQLContext): Promise<RunRecord[]> {
  return runs.list(
    parseInput(domainInput, args.domain),
    parseInput(listLimitInput, args.limit ?? 20),
  );
}
