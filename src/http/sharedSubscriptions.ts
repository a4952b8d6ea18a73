import {
  type ExecutionResult,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
} from 'graphql';
import type { SubscriptionTransport } from '../metrics.ts';
import { SHARED_STREAM_EXTENSION } from '../schema/sharedStream.ts';

/** What opening a subscription gives: its events, or one (error) result. */
export type OpenedSubscription = ExecutionResult | AsyncIterable<ExecutionResult>;

/** Opens a subscription for one subscriber, with that subscriber's own context. */
export type OpenSubscription = () => Promise<OpenedSubscription>;

/**
 * One subscriber of a shared stream, as its transport delivers to it (a WebSocket
 * operation, a streamed HTTP response). Each says the stream's end in its own form.
 */
export interface StreamSubscriber {
  /** The open-subscriptions gauge counts it under this label. */
  readonly transport: SubscriptionTransport;
  /** The stream is live: its events follow. */
  started(): void;
  send(result: ExecutionResult): void;
  /** The subscription did not open (an unknown run, bad arguments): its one result. */
  refused(result: ExecutionResult): void;
  /** The stream failed (the server shutting down, a lost store). */
  failed(error: unknown): void;
  /** The stream ended. */
  completed(): void;
  /** Opening it threw: something of ours failed. */
  aborted(error: unknown): void;
  /** Told once if the subscriber leaves before the stream ends. */
  onCancel: StreamCancelListener | null;
}

/**
 * Who is told that a subscriber left. An object rather than a closure per subscriber: a
 * stream shared by thousands of subscribers is every one's listener.
 */
export interface StreamCancelListener {
  cancelled(subscriber: StreamSubscriber): void;
}

export interface SharedSubscriptionsDeps {
  /**
   * Told how many more (or fewer) subscribers of a transport a stream serves than its watch
   * counts: the watch counts one, under the transport of the subscriber that opened it.
   */
  onJoinerChange(transport: SubscriptionTransport, delta: number): void;
}

/**
 * Subscribers that sent the same subscription (document, operation name and variables) to a
 * field that declares its stream the same for everyone (`extensions.sharedStream`, e.g.
 * `engagementUpdated`) share one execution of it: the resolver, the watch and the iterators
 * around it exist once, each event goes to every subscriber as the same result (serialised
 * and framed once per form). A subscriber who joins a live stream first gets its latest
 * event, which for such a field is the current state. One leaving never ends the others; the
 * last leaving ends the stream (and releases its watch). A stream that does not open (bad
 * arguments, an unknown run) is answered to its opener; those that waited on it open their
 * own, each answered (and logged) for itself.
 *
 * One implementation for every transport, each sharing as early as it can admit a
 * subscriber for itself: WebSocket operations before envelop (the connection was
 * authenticated at its start), streamed HTTP requests before Yoga runs their parameters,
 * once their own token is accepted (useSharedHttpStreams). A joiner holds its entry here and
 * what its transport needs to deliver, nothing of envelop.
 */
export class SharedSubscriptions {
  private readonly streams = new Map<string, SharedStream>();

  constructor(private readonly deps: SharedSubscriptionsDeps) {}

  /** Whether this operation's subscriptions may share a stream: its one root field says so. */
  shareable(schema: GraphQLSchema, operation: OperationDefinitionNode | null | undefined): boolean {
    if (operation?.operation !== 'subscription') return false;
    const [selection, ...others] = operation.selectionSet.selections;
    if (others.length > 0 || selection?.kind !== Kind.FIELD || selection.directives?.length) {
      return false;
    }
    const field = schema.getSubscriptionType()?.getFields()[selection.name.value];
    return field?.extensions?.[SHARED_STREAM_EXTENSION] === true;
  }

  /**
   * Joins the live stream of the same operation, or opens it with `open` for everyone.
   * `document` names the document (its text, or an id that stands for it).
   */
  serve(subscriber: StreamSubscriber, operation: SharedOperation, open: OpenSubscription): void {
    const key = streamKey(operation);
    const known = this.streams.get(key);
    if (known) {
      known.join(subscriber, open);
      return;
    }
    const stream = new SharedStream(this.deps, () => this.streams.delete(key));
    this.streams.set(key, stream);
    stream.open(subscriber, open);
  }

  /** Whether a subscriber of this operation would join a stream rather than open one. */
  serving(operation: SharedOperation): boolean {
    return this.streams.has(streamKey(operation));
  }
}

/** What makes two subscriptions the same: `document` names the document (its text). */
export interface SharedOperation {
  document: string;
  operationName?: string | null;
  variables?: unknown;
}

function streamKey({ document, operationName, variables }: SharedOperation): string {
  return `${operationName ?? ''}\u0000${JSON.stringify(variables ?? {})}\u0000${document}`;
}

/**
 * One execution of a subscription and everyone it is sent to; told itself when one of them
 * leaves.
 */
class SharedStream implements StreamCancelListener {
  private readonly subscribers = new Set<StreamSubscriber>();
  /**
   * Those who joined before the stream opened, with their own way to open it: if it does not
   * open for its opener, each opens its own.
   */
  private readonly waiting = new Map<StreamSubscriber, OpenSubscription>();
  /** The transport of the subscriber whose context opened the watch (the watch counts it). */
  private openedBy: SubscriptionTransport | null = null;
  /** Per transport: its subscribers here, and what was last reported beyond the watch. */
  private readonly present = new Map<SubscriptionTransport, number>();
  private readonly counted = new Map<SubscriptionTransport, number>();
  private events: AsyncIterator<ExecutionResult> | null = null;
  private latest: ExecutionResult | null = null;
  private ended = false;

  constructor(
    private readonly deps: SharedSubscriptionsDeps,
    private readonly forget: () => void,
  ) {}

  join(subscriber: StreamSubscriber, open: OpenSubscription): void {
    this.add(subscriber);
    if (!this.events) {
      this.waiting.set(subscriber, open);
      return;
    }
    subscriber.started();
    if (this.latest !== null) subscriber.send(this.latest);
  }

  open(opener: StreamSubscriber, open: OpenSubscription): void {
    this.openedBy = opener.transport;
    this.add(opener);
    open().then(
      (opened) => this.opened(opener, opened),
      (error: unknown) => {
        this.end();
        this.takeAll();
        opener.aborted(error);
        this.openWaiting();
      },
    );
  }

  private opened(opener: StreamSubscriber, opened: OpenedSubscription): void {
    if (!(Symbol.asyncIterator in opened)) {
      // Refused before any event: the opener gets the answer; each waiter asks for itself.
      this.end();
      this.takeAll();
      opener.refused(opened);
      this.openWaiting();
      return;
    }
    this.events = opened[Symbol.asyncIterator]();
    this.waiting.clear();
    if (this.subscribers.size === 0) {
      this.end();
      void this.events.return?.();
      return;
    }
    for (const subscriber of this.subscribers) subscriber.started();
    this.pull(this.events);
  }

  /** Each subscriber that waited on a stream that did not open opens its own. */
  private openWaiting(): void {
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const [subscriber, open] of waiting) {
      new SharedStream(this.deps, () => {}).open(subscriber, open);
    }
  }

  /** Chained callbacks, not an async loop: a waiting stream holds only its pending `next`. */
  private pull(events: AsyncIterator<ExecutionResult>): void {
    events.next().then(
      (step) => {
        if (step.done) {
          this.end();
          for (const subscriber of this.takeAll()) subscriber.completed();
          return;
        }
        this.latest = step.value;
        for (const subscriber of this.subscribers) subscriber.send(step.value);
        this.pull(events);
      },
      (error: unknown) => {
        this.end();
        for (const subscriber of this.takeAll()) subscriber.failed(error);
      },
    );
  }

  private add(subscriber: StreamSubscriber): void {
    this.subscribers.add(subscriber);
    subscriber.onCancel = this;
    this.tally(subscriber.transport, 1);
    this.recount();
  }

  cancelled(subscriber: StreamSubscriber): void {
    if (!this.subscribers.delete(subscriber)) return;
    this.waiting.delete(subscriber);
    this.tally(subscriber.transport, -1);
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

  private takeAll(): StreamSubscriber[] {
    const all = [...this.subscribers];
    this.subscribers.clear();
    this.present.clear();
    for (const subscriber of all) subscriber.onCancel = null;
    this.recount();
    return all;
  }

  /**
   * Reports, per transport, the subscribers the watch does not count: all of them but one
   * of the opener's transport while anyone is subscribed (-1 there once the opener's
   * transport has no one left, as its watch still counts one).
   */
  private recount(): void {
    const transports = new Set([...this.present.keys(), ...this.counted.keys()]);
    for (const transport of transports) {
      let beyondWatch = this.present.get(transport) ?? 0;
      if (transport === this.openedBy && this.subscribers.size > 0) beyondWatch -= 1;
      const before = this.counted.get(transport) ?? 0;
      if (beyondWatch === before) continue;
      this.deps.onJoinerChange(transport, beyondWatch - before);
      this.counted.set(transport, beyondWatch);
    }
  }

  private tally(transport: SubscriptionTransport, delta: number): void {
    this.present.set(transport, (this.present.get(transport) ?? 0) + delta);
  }
}
