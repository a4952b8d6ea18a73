import type { ExecutionResult } from 'graphql';
import type { SubscriptionTransport } from '../metrics.ts';
import type {
  OpenedSubscription,
  StreamCancelListener,
  StreamSubscriber,
} from './sharedSubscriptions.ts';

const DONE: IteratorResult<ExecutionResult> = { value: undefined, done: true };

/**
 * A subscriber of a shared stream as Yoga expects an operation's result: `opened` resolves to
 * what running the request on its own would have given (an async iterator of the stream's
 * events once it is live, or the one result of a refusal), and ending the iterator (the
 * response closing) leaves the stream. Events the consumer has not asked for yet wait here, in order (a
 * streamed response asks for the next as soon as it has queued one).
 */
export class IteratedSubscriber
  implements StreamSubscriber, AsyncIterableIterator<ExecutionResult>
{
  onCancel: StreamCancelListener | null = null;
  readonly opened: Promise<OpenedSubscription>;
  private settle!: { resolve(opened: OpenedSubscription): void; reject(error: unknown): void };
  private readonly queued: ExecutionResult[] = [];
  private asking: {
    resolve(step: IteratorResult<ExecutionResult>): void;
    reject(error: unknown): void;
  } | null = null;
  /** How the stream ended for this subscriber, once it has: done, or failed with an error. */
  private ending: { error: unknown } | 'done' | null = null;

  constructor(readonly transport: SubscriptionTransport) {
    this.opened = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
  }

  started(): void {
    this.settle.resolve(this);
  }

  refused(result: ExecutionResult): void {
    this.ending = 'done';
    this.settle.resolve(result);
  }

  aborted(error: unknown): void {
    this.ending = 'done';
    this.settle.reject(error);
  }

  send(result: ExecutionResult): void {
    if (this.ending) return;
    if (this.asking) {
      const { resolve } = this.asking;
      this.asking = null;
      resolve({ value: result, done: false });
    } else {
      this.queued.push(result);
    }
  }

  completed(): void {
    this.end('done');
  }

  failed(error: unknown): void {
    this.end({ error });
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    const queued = this.queued.shift();
    if (queued) return Promise.resolve({ value: queued, done: false });
    if (this.ending === 'done') return Promise.resolve(DONE);
    if (this.ending) {
      const { error } = this.ending;
      this.ending = 'done';
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.asking = { resolve, reject };
    });
  }

  /** The consumer is done with it: it leaves the stream. */
  return(): Promise<IteratorResult<ExecutionResult>> {
    this.queued.length = 0;
    this.end('done');
    const cancel = this.onCancel;
    this.onCancel = null;
    cancel?.cancelled(this);
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private end(ending: NonNullable<IteratedSubscriber['ending']>): void {
    if (this.ending) return;
    this.ending = ending;
    const asking = this.asking;
    this.asking = null;
    if (!asking) return;
    if (ending === 'done') asking.resolve(DONE);
    else {
      this.ending = 'done';
      asking.reject(ending.error);
    }
  }
}
