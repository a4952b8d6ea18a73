import { randomUUID } from 'node:crypto';
import { unavailable } from '../errors.ts';
import type { EngagementStore } from '../kv/engagementStore.ts';
import type { KeySpace } from '../kv/keySpace.ts';
import type { SubscriptionTransport } from '../metrics.ts';
import type { RunChannelMessage, RunRecord, RunTriggerRecord } from '../model/runRecord.ts';
import { newRun } from '../model/runTransitions.ts';
import type { RunEventBus } from '../pubsub/runEventBus.ts';
import type { RunQueue } from './runQueue.ts';
import { SharedDomainWatch } from './sharedDomainWatch.ts';
import { SharedRunWatch } from './sharedRunWatch.ts';
import type { SharedWatch, SharedWatchDeps } from './sharedWatch.ts';

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
  /** The live shared watch of each watched run and domain, by its channel. */
  private readonly sharedWatches = new Map<string, SharedWatch>();
  private watcherCount = 0;

  constructor(private readonly deps: EngagementRunsDeps) {
    this.now = deps.now ?? (() => new Date());
    this.newRunId = deps.newRunId ?? randomUUID;
  }

  /**
   * Writes the run's first state and hands it to the queue; returns that state. `trigger`
   * records who started it: a user unless a webhook did (refreshKnownCompanies).
   */
  async start(domain: string, trigger: RunTriggerRecord = 'user'): Promise<RunRecord> {
    const record = newRun(domain, this.newRunId(), this.now(), this.deps.runTimeoutMs, trigger);
    const result = await this.deps.store.write(record);
    if (!result.ok) throw new Error(`could not create run ${record.run_id}: ${result.reason}`);
    this.deps.onRunStarted?.();
    await this.deps.queue.enqueue({ domain, runId: record.run_id });
    return record;
  }

  /**
   * Starts a new run of each company that has a run stored (one the service's users follow),
   * e.g. when Fathom reports a new meeting with it; companies never asked about are left
   * alone. Resolves to the runs started, each marked as started by a webhook. Nothing here
   * counts against the start rate limit: that is admitted by the user-facing edges only.
   */
  async refreshKnownCompanies(domains: readonly string[]): Promise<RunRecord[]> {
    const started: RunRecord[] = [];
    for (const domain of new Set(domains)) {
      const stored = await this.deps.store.list(domain, 1);
      if (stored.length > 0) started.push(await this.start(domain, 'webhook'));
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

  /** Watches open now: one per watcher, whether or not it shares its run's watch. */
  get openWatches(): number {
    return this.watcherCount;
  }

  /** Runs and domains watched now: one pub/sub subscription each, whatever their watchers. */
  get watchedChannels(): number {
    return this.sharedWatches.size;
  }

  /**
   * Ends every open watch with an error that tells the client to subscribe again (on
   * shutdown), releasing their pub/sub subscriptions while the connection is still up.
   */
  endAllWatches(reason: string): void {
    for (const shared of [...this.sharedWatches.values()]) shared.fail(unavailable(reason));
  }

  /**
   * Catches every open watch up from the store. Called when the pub/sub connection comes
   * back after a drop, since anything published while it was down never arrived: a watch
   * gets the run's latest state (if newer), or ends when the run no longer exists.
   */
  async resyncWatches(): Promise<void> {
    await Promise.allSettled([...this.sharedWatches.values()].map((shared) => shared.resync()));
  }

  /**
   * The run's current state, then every later state in version order, ending after a
   * terminal one. A deletion of the run is delivered as its notice, and ends the stream too.
   * Watchers of one run share one watch of it in this process (one pub/sub subscription,
   * one snapshot read; see SharedRunWatch): a watcher joining a live one starts from the
   * latest state it holds. Rejects with NOT_FOUND when the run does not exist. `transport`
   * labels the watch in the open-subscriptions gauge.
   */
  async watch(
    domain: string,
    runId: string,
    transport: SubscriptionTransport = 'http',
  ): Promise<AsyncIterableIterator<RunChannelMessage>> {
    const { store, keys } = this.deps;
    const channel = keys.runChannel(domain, runId);
    return this.joinShared(
      channel,
      (deps) => new SharedRunWatch({ ...deps, store, domain, runId }),
      transport,
    );
  }

  /**
   * Every state of every run of the domain from now on, whoever started it (a user, a
   * webhook, another instance): first the current state of its newest run, if any, then each
   * new state of any of its runs, in version order per run. Deletions are not delivered, and
   * the stream never ends by itself. Watchers of one domain share one watch of it in this
   * process (see SharedDomainWatch). `transport` labels the watch in the open-subscriptions
   * gauge.
   */
  watchDomain(
    domain: string,
    transport: SubscriptionTransport = 'http',
  ): Promise<AsyncIterableIterator<RunChannelMessage>> {
    const { store, keys } = this.deps;
    return this.joinShared(
      keys.domainChannel(domain),
      (deps) => new SharedDomainWatch({ ...deps, store, domain }),
      transport,
    );
  }

  /** Joins the channel's live shared watch, or opens one with `open`, counted as a watch. */
  private async joinShared(
    channel: string,
    open: (deps: SharedWatchDeps) => SharedWatch,
    transport: SubscriptionTransport,
  ): Promise<AsyncIterableIterator<RunChannelMessage>> {
    for (;;) {
      const shared = this.sharedWatch(channel, open);
      await shared.started;
      this.watchChanged(transport, 1);
      const stream = shared.join(() => this.watchChanged(transport, -1));
      if (stream) return stream;
      // Its last watcher left while this one waited: the channel gets a watch of its own again.
      this.watchChanged(transport, -1);
    }
  }

  /** The channel's live shared watch, opened now when there is none. */
  private sharedWatch(channel: string, open: (deps: SharedWatchDeps) => SharedWatch): SharedWatch {
    const live = this.sharedWatches.get(channel);
    if (live) return live;
    const shared: SharedWatch = open({
      events: this.deps.events,
      channel,
      onClosed: () => {
        if (this.sharedWatches.get(channel) === shared) this.sharedWatches.delete(channel);
      },
    });
    this.sharedWatches.set(channel, shared);
    shared.started.catch(() => {
      // Reported to every caller that awaits it; unawaited, it must not end the process.
    });
    return shared;
  }

  private watchChanged(transport: SubscriptionTransport, delta: 1 | -1): void {
    this.watcherCount += delta;
    this.deps.onWatchChange?.(transport, delta);
  }
}
