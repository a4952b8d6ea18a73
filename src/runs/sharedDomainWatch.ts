import type { EngagementStore } from '../kv/engagementStore.ts';
import { isDeletedNotice, type RunChannelMessage, type RunRecord } from '../model/runRecord.ts';
import { SharedWatch, type SharedWatchDeps } from './sharedWatch.ts';

export interface SharedDomainWatchDeps extends SharedWatchDeps {
  store: EngagementStore;
  domain: string;
}

/** How many of the domain's newest runs a catch-up reads after pub/sub messages were lost. */
const CATCH_UP_RUNS = 20;

/**
 * Every run of one domain watched once in this process for all of its current watchers (see
 * SharedWatch): each state of any of its runs, in version order per run (an older one, such
 * as a snapshot read after a newer write, is dropped). A watcher starts from the current
 * state of the domain's newest run, held in memory. Deletions are not delivered (the stream
 * carries runs, and a deletion does not end it); a deleted newest run is no longer anyone's
 * first state. The stream never ends by itself: only when its last watcher leaves, or on
 * shutdown.
 */
export class SharedDomainWatch extends SharedWatch {
  /** The current state of the domain's newest run, as far as this watch knows. */
  private newest: RunRecord | null = null;
  /** The last version delivered of each run seen, to drop older and repeated states. */
  private readonly versions = new Map<string, number>();

  constructor(private readonly domainDeps: SharedDomainWatchDeps) {
    super(domainDeps);
  }

  protected current(): RunChannelMessage | null {
    return this.newest;
  }

  protected async readSnapshot(): Promise<void> {
    const [newest] = await this.domainDeps.store.list(this.domainDeps.domain, 1);
    if (newest) this.receive(newest);
  }

  protected async catchUp(): Promise<void> {
    const runs = await this.domainDeps.store.list(this.domainDeps.domain, CATCH_UP_RUNS);
    const since = this.newest?.created_at ?? '';
    // Runs this watch knows, and runs started after its newest; older ones are not news.
    // Oldest first, so the newest run's state is the last one handed on.
    for (const run of runs.reverse()) {
      if (this.versions.has(run.run_id) || run.created_at > since) this.receive(run);
    }
  }

  protected receive(message: RunChannelMessage): void {
    if (!this.live) return;
    if (isDeletedNotice(message)) {
      this.versions.set(message.run_id, Number.POSITIVE_INFINITY);
      if (this.newest?.run_id === message.run_id) this.forgetNewest();
      return;
    }
    if (message.version <= (this.versions.get(message.run_id) ?? 0)) return;
    this.versions.set(message.run_id, message.version);
    const newest = this.newest;
    if (!newest || newest.run_id === message.run_id || message.created_at >= newest.created_at) {
      this.newest = message;
    }
    this.broadcast(message, false);
  }

  /** The newest run was deleted: the next newest stored run, if any, takes its place. */
  private forgetNewest(): void {
    this.newest = null;
    this.domainDeps.store.list(this.domainDeps.domain, 1).then(
      ([stored]) => {
        const seen = stored ? this.versions.get(stored.run_id) : undefined;
        // Only when no newer state arrived meanwhile, and not a run already gone.
        if (stored && !this.newest && seen !== Number.POSITIVE_INFINITY) {
          if (seen === undefined || stored.version >= seen) this.newest = stored;
        }
      },
      () => {
        // Only the first state of later joiners depends on it; they then start from the next.
      },
    );
  }
}
