import type { GraphQLContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { isDeletedNotice, type RunChannelMessage, type RunRecord } from '../model/runRecord.ts';
import { domainInput, parseInput, runIdInput } from '../validation.ts';
import type { RunArgs } from './queries.ts';

/**
 * The Subscription root's resolvers. Each field is the pair GraphQL asks for: the stream of
 * channel messages, and how each message becomes the field's value.
 */

/** The run's current state, then each new one; validated before anything is subscribed. */
export function subscribeEngagementUpdated(
  args: RunArgs,
  { runs, transport }: GraphQLContext,
): Promise<AsyncIterableIterator<RunChannelMessage>> {
  return runs.watch(
    parseInput(domainInput, args.domain),
    parseInput(runIdInput, args.runId),
    transport,
  );
}

/** A state as it is; a deletion notice ends the stream with NOT_FOUND. */
export function resolveEngagementUpdated(message: RunChannelMessage): RunRecord {
  if (isDeletedNotice(message)) {
    throw notFound(`Run ${message.run_id} of ${message.domain} no longer exists.`);
  }
  return message;
}

/** Every state of every run of the domain from now on; validated before anything is subscribed. */
export function subscribeEngagementsUpdated(
  args: { domain: string },
  { runs, transport }: GraphQLContext,
): Promise<AsyncIterableIterator<RunChannelMessage>> {
  return runs.watchDomain(parseInput(domainInput, args.domain), transport);
}
