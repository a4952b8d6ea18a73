import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
} from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';

type MaybePromise<T> = T | Promise<T>;

/**
 * Executes each subscription event once per distinct operation instead of once per
 * subscriber, on every transport. A write of a run reaches every watcher of that run in the
 * process as the same message object (runs.watch shares one watch per run), so subscribers
 * that sent the same document with the same variables share one execution result; only
 * serialisation (once per result over WebSocket) and framing remain per transport.
 *
 * Sound only because resolving a run event does not depend on the GraphQL context (who is
 * asking is checked when the subscription is set up, not per event). A field whose value
 * depends on the viewer must not be added to EngagementRun without revisiting this.
 */
export function useSharedSubscriptionExecution(): Plugin {
  const resultsByEvent = new WeakMap<object, Map<string, MaybePromise<ExecutionResult>>>();
  const documentIds = new WeakMap<DocumentNode, number>();
  let nextDocumentId = 1;

  const operationKey = (args: ExecutionArgs): string => {
    let id = documentIds.get(args.document);
    if (id === undefined) {
      id = nextDocumentId++;
      documentIds.set(args.document, id);
    }
    return `${id}\u0000${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}`;
  };

  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn((async (args: ExecutionArgs) => {
        const source = await createSourceEventStream(args);
        if (!isAsyncIterable(source)) return source;
        const key = operationKey(args);
        return mapAsyncIterable(source, (event) => {
          if (typeof event !== 'object' || event === null)
            return execute({ ...args, rootValue: event });
          let byOperation = resultsByEvent.get(event);
          if (!byOperation) {
            byOperation = new Map();
            resultsByEvent.set(event, byOperation);
          }
          let result = byOperation.get(key);
          if (!result) {
            result = execute({ ...args, rootValue: event });
            byOperation.set(key, result);
          }
          return result;
        });
      }) as never);
    },
  };
}

/**
 * Maps each value of `source`; ending the result ends the source (so it can release). No
 * async functions: a subscription waiting for its next event holds a pending promise, not
 * a suspended frame.
 */
function mapAsyncIterable<T, U>(
  source: AsyncIterable<T>,
  map: (value: T) => MaybePromise<U>,
): AsyncIterableIterator<U> {
  const iterator = source[Symbol.asyncIterator]();
  const done: IteratorResult<U> = { value: undefined, done: true };
  return {
    next() {
      return iterator.next().then(async (step) => {
        if (step.done) return done;
        return { value: await map(step.value), done: false };
      });
    },
    async return() {
      await iterator.return?.();
      return { value: undefined, done: true };
    },
    async throw(error?: unknown) {
      if (iterator.throw) await iterator.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
