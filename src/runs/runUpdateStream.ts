/**
 * An async iterator fed by pushes, for one subscriber of one run. Unlike an async generator
 * it can be ended from outside at any moment (the client leaves while nothing is pending),
 * and it releases its pub/sub subscription the moment it ends, exactly once.
 */
export class RunUpdateStream<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private waiting: {
    resolve: (r: IteratorResult<T>) => void;
    reject: (e: unknown) => void;
  } | null = null;
  private ended = false;
  private failure: unknown = null;
  private released = false;

  constructor(private readonly release: () => void) {}

  push(value: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = null;
      resolve({ value, done: false });
    } else {
      this.queue.push(value);
    }
  }

  /** No more values: what is queued is still delivered, then the stream completes. */
  finish(): void {
    this.end(null);
  }

  /** Ends with an error, delivered after what is queued. */
  fail(error: unknown): void {
    this.end(error);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) {
      return Promise.resolve({ value: this.queue.shift() as T, done: false });
    }
    if (this.ended) {
      if (this.failure !== null) {
        const failure = this.failure;
        this.failure = null;
        return Promise.reject(failure);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.queue.length = 0;
    this.failure = null;
    this.end(null);
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.queue.length = 0;
    this.end(null);
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private end(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    if (!this.released) {
      this.released = true;
      this.release();
    }
    if (this.waiting && this.queue.length === 0) {
      const { resolve, reject } = this.waiting;
      this.waiting = null;
      if (error !== null) {
        this.failure = null;
        reject(error);
      } else {
        resolve({ value: undefined, done: true });
      }
    }
  }
}
