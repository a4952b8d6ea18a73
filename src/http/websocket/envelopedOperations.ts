import { type DocumentNode, type ExecutionResult, GraphQLError, getOperationAST } from 'graphql';
import { isAsyncIterable } from 'graphql-yoga';
import type { Logger } from 'pino';
import { AppError, toGraphQLError } from '../../errors.ts';
import type { SubscriptionTransport } from '../../metrics.ts';
import type { Tracing } from '../../tracing/tracing.ts';
import { logRefusal } from '../refusalLog.ts';
import { formattedError, type SerialisedResults, streamErrorJson } from '../serialisedResults.ts';
import type {
  OpenedSubscription,
  SharedSubscriptions,
  StreamCancelListener,
  StreamSubscriber,
} from '../sharedSubscriptions.ts';
import type { TrustedDocuments } from '../trustedDocuments.ts';
import type { EngagementYoga } from '../yoga.ts';
import type { CancelListener, Subscriber } from './graphqlWsConnection.ts';

/** What every WebSocket operation runs with. */
export interface EnvelopedOperationsDeps {
  yoga: EngagementYoga;
  /** Which document an operation runs (its text, or its hash looked up), as over HTTP. */
  trustedDocuments: TrustedDocuments;
  results: SerialisedResults;
  logger: Logger;
  /** Told of each subscription that joins a stream another one opened. */
  tracing: Tracing;
}

/**
 * Runs an operation sent over WebSocket through Yoga's envelop, so that its plugins, error
 * masking and context are the same as over HTTP: a query or mutation gets one `next`, a
 * subscription every event, then `complete`. Invalid documents, and documents refused by
 * the trusted-documents rule, get an `error` message. The principal is the connection's,
 * authenticated at `connection_init`.
 */
export async function runEnvelopedOperation(
  deps: EnvelopedOperationsDeps,
  subscriber: Subscriber,
  /** Where identical subscriptions to a shared stream share one execution. */
  shared: SharedSubscriptions,
): Promise<void> {
  const { yoga, results } = deps;
  const { payload, principal } = subscriber;
  let query: string;
  try {
    // Envelop has no params stage: the rule Yoga's HTTP handler applies in onParams, here.
    query = (await deps.trustedDocuments.documentOf(payload)) ?? '';
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    logRefusal(deps.logger, error, principal.clientAddress, 'websocket');
    subscriber.fail(errorsJson([toGraphQLError(error)]));
    return;
  }
  if (!subscriber.active) return;
  const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
    principal,
    // The payload itself when it sent the text: nothing more held per subscription.
    params: query === payload.query ? payload : { ...payload, query },
  });
  let document: DocumentNode;
  try {
    document = parse(query);
    const errors = validate(schema, document);
    if (errors.length > 0) {
      subscriber.fail(errorsJson(errors));
      return;
    }
  } catch (error) {
    // Syntax errors and limits that throw (graphql-armor) go back to the client.
    if (!(error instanceof GraphQLError)) throw error;
    subscriber.fail(errorsJson([error]));
    return;
  }
  const operation = getOperationAST(document, payload.operationName);
  if (!operation) {
    subscriber.fail(JSON.stringify([new GraphQLError('Unable to identify operation')]));
    return;
  }
  const args = async () => ({
    schema,
    document,
    operationName: payload.operationName,
    variableValues: payload.variables,
    contextValue: await contextFactory(),
  });
  if (shared.shareable(schema, operation)) {
    const sharedOperation = {
      document: query,
      operationName: payload.operationName,
      variables: payload.variables,
    };
    if (shared.serving(sharedOperation)) {
      deps.tracing.subscriptionJoined({
        operationName: operation.name?.value,
        transport: 'websocket',
      });
    }
    // Envelop types a subscription's events loosely; they are execution results.
    shared.serve(
      new WebSocketStreamSubscriber(subscriber, results),
      sharedOperation,
      async () => (await subscribe(await args())) as OpenedSubscription,
    );
    return;
  }
  const ready = await args();
  if (!subscriber.active) return;
  const result = await (operation.operation === 'subscription' ? subscribe(ready) : execute(ready));
  if (!isAsyncIterable(result)) {
    subscriber.next(results.of(result));
    subscriber.complete();
    return;
  }
  // Envelop types a subscription's events loosely; they are execution results.
  const events = result[Symbol.asyncIterator]() as AsyncIterator<ExecutionResult>;
  if (!subscriber.active) {
    await events.return?.();
    return;
  }
  subscriber.onCancel = { cancelled: () => void events.return?.() };
  forwardEvents(events, results, subscriber);
}

/**
 * A WebSocket operation as a subscriber of a shared stream: each result sent as its JSON. It
 * listens for its operation's cancellation itself and tells the stream, so that a subscriber
 * costs this one object and no closures.
 */
class WebSocketStreamSubscriber implements StreamSubscriber, CancelListener {
  onCancel: StreamCancelListener | null = null;

  constructor(
    private readonly subscriber: Subscriber,
    private readonly results: SerialisedResults,
  ) {
    subscriber.onCancel = this;
  }

  get transport(): SubscriptionTransport {
    return 'websocket';
  }

  started(): void {}

  send(result: ExecutionResult): void {
    this.subscriber.next(this.results.of(result));
  }

  refused(result: ExecutionResult): void {
    this.subscriber.next(this.results.of(result));
    this.subscriber.complete();
  }

  failed(error: unknown): void {
    this.subscriber.fail(streamErrorJson(error));
  }

  completed(): void {
    this.subscriber.complete();
  }

  aborted(error: unknown): void {
    this.subscriber.abort(error);
  }

  cancelled(): void {
    const listener = this.onCancel;
    this.onCancel = null;
    listener?.cancelled(this);
  }
}

/**
 * Sends each event of a subscription as it comes, then its end. Chained promise callbacks
 * rather than an async loop: what a waiting subscription holds is its pending `next`, not a
 * suspended frame that would keep everything the operation was set up with.
 */
function forwardEvents(
  events: AsyncIterator<ExecutionResult>,
  results: SerialisedResults,
  subscriber: Subscriber,
): void {
  const pull = (): void => {
    events.next().then(
      (step) => {
        if (step.done) {
          subscriber.complete();
          return;
        }
        subscriber.next(results.of(step.value));
        pull();
      },
      (error: unknown) => subscriber.fail(streamErrorJson(error)),
    );
  };
  pull();
}

/**
 * The JSON of an `error` message's payload. Yoga marks some errors with an `http` extension
 * (the status it would answer over HTTP) and drops it when it writes an HTTP response; it
 * means nothing to a WebSocket client either, so it is dropped here too.
 */
function errorsJson(errors: readonly GraphQLError[]): string {
  return JSON.stringify(errors.map(formattedError));
}
