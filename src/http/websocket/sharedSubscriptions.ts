import {
  type ExecutionResult,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
} from 'graphql';
import { SHARED_STREAM_EXTENSION } from '../../schema/sharedStream.ts';
import type { SerialisedResults } from '../serialisedResults.ts';
import type { CancelListener, Subscriber } from './graphqlWsConnection.ts';

/** What opening a subscription through envelop gives: its events, or one (error) result. */
export type OpenedSubscription = ExecutionResult | AsyncIterable<ExecutionResult>;

export interface SharedSubscriptionsDeps {
  results: SerialisedResults;
  /** The JSON of an `error` message for a stream that failed. */
  streamErrorJson(error: unknown): string;
  /** Runs a subscription on its own: for those that waited on a stream that did not open. */
  runAlone(subscriber: Subscriber): void;
  /**
   * Told how many more (or fewer) subscribers a stream serves than the one its watch counts
   * where it opens: each stream's subscribers beyond one are counted here.
   */
  onJoinerChange(delta: number): void;
}

/**
 * WebSocket subscribers that sent the same subscription (document, operation name and
 * variables) to a field that declares its stream the same for everyone
 * (`extensions.sharedStream`, e.g. `engagementUpdated`) share one execution of it through
 * envelop: the resolver, the hooks and the watch run once, each event is serialised once,
 * and each socket only frames it. A subscriber who joins a live stream first gets its latest
 * event, which for such a field is the current state. A stream that does not open (bad
 * arguments, an unknown run) is answered to its opener; those that waited on it run alone,
 * each answered (and logged) for itself.
 *
 * This keeps a subscription on a shared stream down to its entry here: going through envelop
 * per subscriber holds ~5 KB more each (10,000 subscriptions: +50 MB).
 */
export class SharedSubscriptions {
  private readonly streams = new Map<string, SharedStream>();

  constructor(private readonly deps: SharedSubscriptionsDeps) {}

  /** Whether this operation's subscriptions may share a stream: its one root field says so. */
  shareable(schema: GraphQLSchema, operation: OperationDefinitionNode): boolean {
    if (operation.operation !== 'subscription') return false;
    const [selection, ...others] = operation.selectionSet.selections;
    if (others.length > 0 || selection?.kind !== Kind.FIELD || selection.directives?.length) {
      return false;
    }
    const field = schema.getSubscriptionType()?.getFields()[selection.name.value];
    return field?.extensions?.[SHARED_STREAM_EXTENSION] === true;
  }

  /**
   * Joins the stream of the same operation, or opens it with `open` for everyone. `query` is
   * the document's text, however the subscriber named it (by text or by hash).
   */
  serve(subscriber: Subscriber, query: string, open: () => Promise<OpenedSubscription>): void {
    const { operationName, variables } = subscriber.payload;
    const key = `${operationName ?? ''}\u0000${JSON.stringify(variables ?? {})}\u0000${query}`;
    const known = this.streams.get(key);
    if (known) {
      known.join(subscriber);
      return;
    }
    const stream = new SharedStream(this.deps, () => this.streams.delete(key));
    this.streams.set(key, stream);
    stream.open(subscriber, open);
  }
}

/**
 * One execution of a subscription and everyone it is sent to; told itself when one of them
 * is cancelled (one listener for all of them, not a closure each).
 */
class SharedStream implements CancelListener {
  private readonly subscribers = new Set<Subscriber>();
  /** Subscribers beyond the one the stream's watch counts, as last reported. */
  private counted = 0;
  private events: AsyncIterator<ExecutionResult> | null = null;
  private latest: string | null = null;
  private ended = false;

  constructor(
    private readonly deps: SharedSubscriptionsDeps,
    private readonly forget: () => void,
  ) {}

  join(subscriber: Subscriber): void {
    this.add(subscriber);
    if (this.latest !== null) subscriber.next(this.latest);
  }

  open(opener: Subscriber, open: () => Promise<OpenedSubscription>): void {
    this.add(opener);
    open().then(
      (opened) => this.opened(opener, opened),
      (error: unknown) => {
        this.end();
        opener.abort(error);
        for (const waiting of this.takeAll()) if (waiting !== opener) this.deps.runAlone(waiting);
      },
    );
  }

  private opened(opener: Subscriber, opened: OpenedSubscription): void {
    if (!(Symbol.asyncIterator in opened)) {
      // Refused before any event: the opener gets the answer; each waiter asks for itself.
      this.end();
      for (const waiting of this.takeAll()) if (waiting !== opener) this.deps.runAlone(waiting);
      opener.next(this.deps.results.of(opened));
      opener.complete();
      return;
    }
    this.events = opened[Symbol.asyncIterator]();
    if (this.subscribers.size === 0) {
      this.end();
      void this.events.return?.();
      return;
    }
    this.pull(this.events);
  }

  /** Chained callbacks, not an async loop: a waiting stream holds only its pending `next`. */
  private pull(events: AsyncIterator<ExecutionResult>): void {
    events.next().then(
      (step) => {
        if (step.done) {
          this.end();
          for (const subscriber of this.takeAll()) subscriber.complete();
          return;
        }
        const json = this.deps.results.of(step.value);
        this.latest = json;
        for (const subscriber of this.subscribers) subscriber.next(json);
        this.pull(events);
      },
      (error: unknown) => {
        this.end();
        const errors = this.deps.streamErrorJson(error);
        for (const subscriber of this.takeAll()) subscriber.fail(errors);
      },
    );
  }

  private add(subscriber: Subscriber): void {
    this.subscribers.add(subscriber);
    subscriber.onCancel = this;
    this.recount();
  }

  cancelled(subscriber: Subscriber): void {
    if (!this.subscribers.delete(subscriber)) return;
    this.recount();
    if (this.subscribers.size === 0 && this.events) {
      this.end();
      void this.events.return?.();
    }
  }

  /** No one joins this stream any more; a later subscriber opens a new one. */
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.forget();
  }

  private takeAll(): Subscriber[] {
    const all = [...this.subscribers];
    this.subscribers.clear();
    for (const subscriber of all) subscriber.onCancel = null;
    this.recount();
    return all;
  }

  private recount(): void {
    const beyondOne = Math.max(0, this.subscribers.size - 1);
    if (beyondOne === this.counted) return;
    this.deps.onJoinerChange(beyondOne - this.counted);
    this.counted = beyondOne;
  }
}
