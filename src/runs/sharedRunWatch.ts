import { notFound } from '../errors.ts';
import type { EngagementStore } from '../kv/engagementStore.ts';
import {
  isDeletedNotice,
  isTerminal,
  type RunChannelMessage,
  type RunRecord,
} from '../model/runRecord.ts';
import type { RunEventBus } from '../pubsub/runEventBus.ts';
import { RunUpdateStream } from './runUpdateStream.ts';

export interface SharedRunWatchDeps {
  store: EngagementStore;
  events: RunEventBus;
  domain: string;
  runId: string;
  channel: string;
  /** Called once when this watch stops taking watchers (released, or the run ended). */
  onClosed(): void;
}

/**
 * One run watched once in this process for all of its current watchers: one pub/sub
 * subscription and one snapshot read, whatever their number. Every state goes to every
 * watcher as the same object, in version order; a watcher who joins a live watch starts from
 * its latest state, held in memory. The channel is subscribed before the snapshot is read,
 * so a write landing in between is delivered (and an older snapshot dropped by version).
 * The watch ends after a terminal state or the run's deletion, and when its last watcher
 * leaves (its subscription released).
 */
export class SharedRunWatch {
  /** Resolves once the snapshot is in; rejects with NOT_FOUND, or when the store fails. */
  readonly started: Promise<void>;
  private readonly watchers = new Set<RunUpdateStream<RunChannelMessage>>();
  private latest: RunChannelMessage | null = null;
  private lastVersion = 0;
  /** The run's last message (terminal state or deletion) was delivered. */
  private finished = false;
  /** The pub/sub subscription is gone: a watcher arriving now must open another watch. */
  private released = false;
  private subscriptionId: number | null = null;
  /** Why the watch was ended from outside (shutdown), for watchers still waiting on it. */
  private failure: Error | null = null;

  constructor(private readonly deps: SharedRunWatchDeps) {
    this.started = this.start();
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  /**
   * A new watcher's stream, starting from the latest state; null when this watch was released
   * (its last watcher left) before the caller could join, so the caller opens a new one.
   * `onRelease` is called once when that stream ends, however it ends. Throws the error the
   * watch was ended with (shutdown).
   */
  join(onRelease: () => void): RunUpdateStream<RunChannelMessage> | null {
    if (this.failure) throw this.failure;
    if (this.released && !this.finished) return null;
    const stream = new RunUpdateStream<RunChannelMessage>(() => {
      this.watchers.delete(stream);
      onRelease();
      if (this.watchers.size === 0) this.release();
    });
    if (this.latest) stream.push(this.latest);
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
    const { store, domain, runId } = this.deps;
    const current = await store.get(domain, runId);
    this.deliver(current ?? { deleted: true, domain, run_id: runId });
  }

  /** Ends every watcher with `error` (shutdown), releasing the subscription. */
  fail(error: Error): void {
    this.failure = error;
    for (const stream of [...this.watchers]) stream.fail(error);
    this.release();
  }

  private async start(): Promise<void> {
    const { store, events, domain, runId, channel } = this.deps;
    this.subscriptionId = await events.subscribe(channel, (message) =>
      this.deliver(message as RunChannelMessage),
    );
    if (this.failure) {
      // Ended (shutdown) while subscribing: the subscription was not yet there to release.
      events.unsubscribe(this.subscriptionId);
      throw this.failure;
    }
    let snapshot: RunRecord | null;
    try {
      snapshot = await store.get(domain, runId);
    } catch (error) {
      this.release();
      throw error;
    }
    if (!snapshot) {
      this.release();
      throw notFound(`No run ${runId} for ${domain}.`);
    }
    this.deliver(snapshot);
  }

  private deliver(message: RunChannelMessage): void {
    if (this.finished || this.released) return;
    if (!isDeletedNotice(message)) {
      if (message.version <= this.lastVersion) return;
      this.lastVersion = message.version;
    }
    this.latest = message;
    const last = isDeletedNotice(message) || isTerminal(message);
    if (last) this.finished = true;
    for (const stream of [...this.watchers]) {
      stream.push(message);
      if (last) stream.finish();
    }
    if (last) this.release();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    if (this.subscriptionId !== null) this.deps.events.unsubscribe(this.subscriptionId);
    this.subscriptionId = null;
    this.deps.onClosed();
  }
}
