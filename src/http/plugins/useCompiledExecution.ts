import { useGraphQlJit } from '@envelop/graphql-jit';
import { type DocumentNode, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';

/**
 * How many times a document is executed by graphql-js before graphql-jit compiles it.
 * Compiling a run's ~40 fields takes ~3 ms, executing the result ~10 µs against ~50 µs
 * for graphql-js: worth it for a document that comes back (a poll every 2 s, the states
 * of a watched run), not for one sent once, and a client sending ever new documents would
 * otherwise make the server compile on every request.
 */
export const INTERPRETED_EXECUTIONS = 1;

/**
 * Whether graphql-jit runs this operation as graphql-js does. It does not apply a
 * variable's default value when the variable is left out of a non-null type
 * (`$domain: String! = "acme.com"`), which GraphQL allows: it answers that the variable was
 * not provided. Such an operation stays with graphql-js.
 */
export function jitRunsLikeGraphqlJs(
  document: DocumentNode,
  operationName: string | null | undefined,
): boolean {
  const operation = getOperationAST(document, operationName);
  return !operation?.variableDefinitions?.some((variable) => variable.defaultValue);
}

/**
 * Queries and mutations of a document seen before are executed by graphql-jit: compiled
 * once into a function (and a serialiser of its result's shape). This is the polling path
 * (`engagementStatus` every 2 s per client), the request that repeats most.
 *
 * Subscription events keep their own execution (useSharedSubscriptionExecution, once per
 * event and distinct operation on every transport). A document that cannot be compiled is answered with the
 * compiler's errors and logged; none is expected, since only validated documents get here.
 */
export function useCompiledExecution(logger: Logger): Plugin {
  const executions = new WeakMap<DocumentNode, number>();
  const jit = useGraphQlJit(
    {},
    {
      enableIf: ({ document, operationName }) => {
        if (!jitRunsLikeGraphqlJs(document, operationName)) return false;
        const count = executions.get(document) ?? 0;
        if (count >= INTERPRETED_EXECUTIONS) return true;
        executions.set(document, count + 1);
        return false;
      },
      onError: (result) =>
        logger.error({ errors: result.errors }, 'GraphQL document did not compile'),
    },
  );
  return { onExecute: jit.onExecute };
}
