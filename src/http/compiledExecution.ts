import { useGraphQlJit } from '@envelop/graphql-jit';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';

/**
 * Queries and mutations executed by graphql-jit: each distinct document is compiled once
 * into a function (and a serialiser of its result's shape), which runs a run record's ~40
 * fields about five times faster than graphql-js walks them. This is the polling path
 * (`engagementStatus` every 2 s per client), so it is the request that repeats most.
 *
 * Subscriptions keep their own execution (useSharedSubscriptionExecution over SSE, the
 * per-run fan-out over WebSocket). A document that cannot be compiled is answered with the
 * compiler's errors and logged; none is expected, since only validated documents get here.
 */
export function useCompiledExecution(logger: Logger): Plugin {
  const jit = useGraphQlJit(
    {},
    {
      onError: (result) =>
        logger.error({ errors: result.errors }, 'GraphQL document did not compile'),
    },
  );
  return { onExecute: jit.onExecute };
}
