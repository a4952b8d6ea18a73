import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
} from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { INTERPRETED_EXECUTIONS, jitRunsLikeGraphqlJs } from './useCompiledExecution.ts';

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
  const executeEvent = eventExecutor();
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
          if (typeof event !== 'object' || event === null) return executeEvent(args, event);
          let byOperation = resultsByEvent.get(event);
          if (!byOperation) {
            byOperation = new Map();
            resultsByEvent.set(event, byOperation);
          }
          let result = byOperation.get(key);
          if (!result) {
            result = executeEvent(args, event);
            byOperation.set(key, result);
          }
          return result;
        });
      }) as never);
    },
  };
}

type EventExecution = (args: ExecutionArgs, event: unknown) => MaybePromise<ExecutionResult>;

/**
 * How a subscription event is executed: by graphql-js the first time(s) a document's events
 * are, then by the document compiled with graphql-jit (a run state's fields in ~10 µs
 * against ~120 µs), unless the compiler refuses it. Where nothing is shared (one subscriber
 * per run), this is paid once per state and subscriber.
 */
function eventExecutor(): EventExecution {
  const executions = new WeakMap<DocumentNode, number>();
  const compiled = new WeakMap<DocumentNode, Map<string, EventExecution | null>>();
  const interpret: EventExecution = (args, event) => execute({ ...args, rootValue: event });
  return (args, event) => {
    const count = executions.get(args.document) ?? 0;
    if (count < INTERPRETED_EXECUTIONS) {
      executions.set(args.document, count + 1);
      return interpret(args, event);
    }
    let byName = compiled.get(args.document);
    if (!byName) {
      byName = new Map();
      compiled.set(args.document, byName);
    }
    const name = args.operationName ?? '';
    let run = byName.get(name);
    if (run === undefined) {
      run = compiledEventExecution(args);
      byName.set(name, run);
    }
    return (run ?? interpret)(args, event);
  };
}

/** The document compiled by graphql-jit, or null when the compiler cannot take it. */
function compiledEventExecution(args: ExecutionArgs): EventExecution | null {
  if (!jitRunsLikeGraphqlJs(args.document, args.operationName)) return null;
  let query: ReturnType<typeof compileQuery<Record<string, unknown>, Record<string, unknown>>>;
  try {
    query = compileQuery(args.schema, args.document, args.operationName ?? undefined);
  } catch {
    return null; // graphql-jit cannot compile it: graphql-js executes it, as the first times
  }
  if (!isCompiledQuery(query)) return null;
  return ({ contextValue, variableValues }, event) =>
    query.query(event, contextValue, variableValues ?? {});
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
