import type { RunChannelMessage } from '../model/runRecord.ts';
import type { RunEventBus } from '../pubsub/runEventBus.ts';
import { RunUpdateStream } from './runUpdateStream.ts';

export interface SharedWatchDeps {
  events: RunEventBus;
  channel: string;
  /** Called once when this watch stops taking watchers (released, or its stream ended). */
  onClosed(): void;
}

/**
 * One pub/sub channel watched once in this process for all of its current watchers: one
 * subscription and one snapshot read, whatever their number. Every message goes to every
 * watcher as the same object, in the order it arrived. The channel is subscribed before the
 * snapshot is read, so a write landing in between is delivered; what a watch does with a
 * message (drop an older version, end the stream) is its subclass's. The subscription is
 * released when the last watcher leaves, when the stream ends, or on shutdown.
 */
export abstract class SharedWatch<D extends SharedWatchDeps = SharedWatchDeps> {
  /** Resolves once the snapshot is in; rejects when it cannot be read (or NOT_FOUND). */
  readonly started: Promise<void>;
  private readonly watchers = new Set<RunUpdateStream<RunChannelMessage>>();
  /** The stream's last message was delivered: a joiner gets the current state and the end. */
  private finished = false;
  /** The pub/sub subscription is gone: a watcher arriving now must open another watch. */
  private released = false;
  private subscriptionId: number | null = null;
  /** Why the watch was ended from outside (shutdown), for watchers still waiting on it. */
  private failure: Error | null = null;

  constructor(protected readonly deps: D) {
    this.started = this.start();
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  /**
   * A new watcher's stream, starting from the current state; null when this watch was
   * released (its last watcher left) before the caller could join, so the caller opens a new
   * one. `onRelease` is called once when that stream ends, however it ends. Throws the error
   * the watch was ended with (shutdown).
   */
  join(onRelease: () => void): RunUpdateStream<RunChannelMessage> | null {
    if (this.failure) throw this.failure;
    if (this.released && !this.finished) return null;
    const stream = new RunUpdateStream<RunChannelMessage>(() => {
      this.watchers.delete(stream);
      onRelease();
      if (this.watchers.size === 0) this.release();
    });
    const current = this.current();
    if (current) stream.push(current);
    if (this.finished) {
      stream.finish();
      return stream;
    }
    this.watchers.add(stream);
    return stream;
  }

  /** Catches up from the store, for when pub/sub messages may have been lost. */
  async resync(): Promise<void> {
    if (this.released) return;
    await this.catchUp();
  }

  /** Ends every watcher with `error` (shutdown), releasing the subscription. */
  fail(error: Error): void {
    this.failure = error;
    for (const stream of [...this.watchers]) stream.fail(error);
    this.release();
  }

  /** What a watcher joining now gets first. */
  protected abstract current(): RunChannelMessage | null;

  /** Reads the state to start from and hands it to `receive`; throws to refuse the watch. */
  protected abstract readSnapshot(): Promise<void>;

  /** Reads the store again after messages may have been lost, handing what is new to `receive`. */
  protected abstract catchUp(): Promise<void>;

  /** A message from the channel, the snapshot or a catch-up. */
  protected abstract receive(message: RunChannelMessage): void;

  /** Whether messages may still be delivered (not finished, not released). */
  protected get live(): boolean {
    return !this.finished && !this.released;
  }

  /** Hands `message` to every watcher; `last` ends their streams and the watch. */
  protected broadcast(message: RunChannelMessage, last: boolean): void {
    if (last) this.finished = true;
    for (const stream of [...this.watchers]) {
      stream.push(message);
      if (last) stream.finish();
    }
    if (last) this.release();
  }

  private async start(): Promise<void> {
    const { events, channel } = this.deps;
    this.subscriptionId = await events.subscribe(channel, (message) =>
      this.receive(message as RunChannelMessage),
    );
    if (this.failure) {
      // Ended (shutdown) while subscribing: the subscription was not yet there to release.
      events.unsubscribe(this.subscriptionId);
      throw this.failure;
    }
    try {
      await this.readSnapshot();
    } catch (error) {
      this.release();
      throw error;
    }
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    if (this.subscriptionId !== null) this.deps.events.unsubscribe(this.subscriptionId);
    this.subscriptionId = null;
    this.deps.onClosed();
  }
}
