import { randomUUID } from 'node:crypto';
import { notFound } from '../errors.ts';
import type { EngagementStore } from '../kv/engagementStore.ts';
import type { KeySpace } from '../kv/keySpace.ts';
import type { SubscriptionTransport } from '../metrics.ts';
import {
  isDeletedNotice,
  isTerminal,
  type RunChannelMessage,
  type RunRecord,
} from '../model/runRecord.ts';
import { newRun } from '../model/runTransitions.ts';
import type { RunEventBus } from '../pubsub/runEventBus.ts';
import type { RunQueue } from './runQueue.ts';
import { RunUpdateStream } from './runUpdateStream.ts';

export interface EngagementRunsDeps {
  store: EngagementStore;
  events: RunEventBus;
  keys: KeySpace;
  queue: RunQueue;
  /** RUN_TIMEOUT_MS: each new run's deadline is its creation plus this. */
  runTimeoutMs: number;
  now?: () => Date;
  newRunId?: () => string;
  /** Told when a watch opens and closes, for the open-subscriptions gauge. */
  onWatchChange?: (transport: SubscriptionTransport, delta: 1 | -1) => void;
  onRunStarted?: () => void;
}

/**
 * What the API can do with runs. Resolvers and REST handlers translate their protocol into
 * these calls; arguments arrive already validated and normalised.
 */
export class EngagementRuns {
  private readonly now: () => Date;
  private readonly newRunId: () => string;
  /** Open watches, each with how to catch it up from the store. */
  private readonly openStreams = new Map<RunUpdateStream<RunChannelMessage>, () => Promise<void>>();

  constructor(private readonly deps: EngagementRunsDeps) {
    this.now = deps.now ?? (() => new Date());
    this.newRunId = deps.newRunId ?? randomUUID;
  }

  /** Writes the run's first state and hands it to the queue; returns that state. */
  async start(domain: string): Promise<RunRecord> {
    const record = newRun(domain, this.newRunId(), this.now(), this.deps.runTimeoutMs);
    const result = await this.deps.store.write(record);
    if (!result.ok) throw new Error(`could not create run ${record.run_id}: ${result.reason}`);
    this.deps.onRunStarted?.();
    await this.deps.queue.enqueue({ domain, runId: record.run_id });
    return record;
  }

  /**
   * Starts a new run of each company that has a run stored (one the service's users follow),
   * e.g. when Fathom reports a new meeting with it; companies never asked about are left
   * alone. Resolves to the runs started.
   */
  async refreshKnownCompanies(domains: readonly string[]): Promise<RunRecord[]> {
    const started: RunRecord[] = [];
    for (const domain of new Set(domains)) {
      const stored = await this.deps.store.list(domain, 1);
      if (stored.length > 0) started.push(await this.start(domain));
    }
    return started;
  }

  get(domain: string, runId: string): Promise<RunRecord | null> {
    return this.deps.store.get(domain, runId);
  }

  getRaw(domain: string, runId: string): Promise<string | null> {
    return this.deps.store.getRaw(domain, runId);
  }

  list(domain: string, limit: number): Promise<RunRecord[]> {
    return this.deps.store.list(domain, limit);
  }

  delete(domain: string, runId: string): Promise<boolean> {
    return this.deps.store.delete(domain, runId);
  }

  deleteAll(domain: string): Promise<number> {
    return this.deps.store.deleteAll(domain);
  }

  /** Number of watches open now. */
  get openWatches(): number {
    return this.openStreams.size;
  }

  /**
   * Ends every open watch with an error that tells the client to subscribe again (on
   * shutdown), releasing their pub/sub subscriptions while the connection is still up.
   */
  endAllWatches(reason: string): void {
    for (const stream of [...this.openStreams.keys()]) stream.fail(new Error(reason));
  }

  /**
   * Catches every open watch up from the store. Called when the pub/sub connection comes
   * back after a drop, since anything published while it was down never arrived: a watch
   * gets the run's latest state (if newer), or ends when the run no longer exists.
   */
  async resyncWatches(): Promise<void> {
    await Promise.allSettled([...this.openStreams.values()].map((resync) => resync()));
  }

  /**
   * The run's current state, then every later state in version order, ending after a
   * terminal one. The channel is subscribed before the current state is read, so a write
   * landing in between is delivered (and a duplicate of the snapshot is dropped by version).
   * A deletion of the run is delivered as its notice, and ends the stream too.
   * Rejects with NOT_FOUND when the run does not exist. `transport` labels the watch in the
   * open-subscriptions gauge; null leaves it uncounted, for a caller that counts its own
   * subscribers of one shared watch.
   */
  async watch(
    domain: string,
    runId: string,
    transport: SubscriptionTransport | null = 'http',
  ): Promise<AsyncIterableIterator<RunChannelMessage>> {
    const { events, store, keys } = this.deps;
    let lastVersion = 0;
    let stream: RunUpdateStream<RunChannelMessage> | null = null;
    const early: RunChannelMessage[] = [];

    const deliver = (message: RunChannelMessage) => {
      if (!stream) {
        early.push(message);
        return;
      }
      if (isDeletedNotice(message)) {
        stream.push(message);
        stream.finish();
        return;
      }
      if (message.version <= lastVersion) return;
      lastVersion = message.version;
      stream.push(message);
      if (isTerminal(message)) stream.finish();
    };

    const subscriptionId = await events.subscribe(keys.runChannel(domain, runId), (message) =>
      deliver(message as RunChannelMessage),
    );
    const release = () => {
      if (stream) this.openStreams.delete(stream);
      events.unsubscribe(subscriptionId);
      if (transport) this.deps.onWatchChange?.(transport, -1);
    };
    if (transport) this.deps.onWatchChange?.(transport, 1);

    let snapshot: RunRecord | null;
    try {
      snapshot = await store.get(domain, runId);
    } catch (error) {
      release();
      throw error;
    }
    if (!snapshot) {
      release();
      throw notFound(`No run ${runId} for ${domain}.`);
    }

    stream = new RunUpdateStream<RunChannelMessage>(release);
    this.openStreams.set(stream, async () => {
      const current = await store.get(domain, runId);
      deliver(current ?? { deleted: true, domain, run_id: runId });
    });
    deliver(snapshot);
    for (const message of early.splice(0)) deliver(message);
    return stream;
  }
}
