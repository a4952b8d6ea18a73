import type { EngagementStore } from '../kv/engagementStore.ts';
import {
  isDeletedNotice,
  isTerminal,
  type RunChannelMessage,
  type RunRecord,
} from '../model/runRecord.ts';
import { SharedWatch, type SharedWatchDeps } from './sharedWatch.ts';

export interface SharedDomainWatchDeps extends SharedWatchDeps {
  store: EngagementStore;
  domain: string;
}

/** How many of the domain's newest runs a catch-up reads after pub/sub messages were lost. */
const CATCH_UP_RUNS = 20;

/**
 * How many runs that ended (a terminal state delivered, or deleted) a watch remembers, so
 * that a read answered before their end but arriving after it (a snapshot, a catch-up) is
 * not handed on. Older ones need no memory: no run writes after its end, and a catch-up
 * hands on only runs still open or created after the newest one delivered.
 */
export const ENDED_RUNS_KEPT = 64;

/**
 * Every run of one domain watched once in this process for all of its current watchers (see
 * SharedWatch): each state of any of its runs, in version order per run (an older one, such
 * as a snapshot read after a newer write, is dropped). A watcher starts from the current
 * state of the domain's newest run, held in memory. Deletions are not delivered (the stream
 * carries runs, and a deletion does not end it); a deleted newest run is no longer anyone's
 * first state. The stream never ends by itself: only when its last watcher leaves, or on
 * shutdown. What it holds per run is bounded by the runs that can still write, plus the
 * last ENDED_RUNS_KEPT that ended, however long the domain is watched.
 */
export class SharedDomainWatch extends SharedWatch<SharedDomainWatchDeps> {
  /** The current state of the domain's newest run, as far as this watch knows. */
  private newest: RunRecord | null = null;
  /** When the newest run delivered was created; never moves back, even when it is deleted. */
  private newestCreatedAt = '';
  /** The last version delivered of each run that can still write, to drop older and repeated states. */
  private readonly open = new Map<string, number>();
  /** Runs that ended, the latest last: their last version, or Infinity when deleted. */
  private readonly ended = new Map<string, number>();

  /** Runs whose last version this watch holds (open, or among the last that ended). */
  get runsHeld(): number {
    return this.open.size + this.ended.size;
  }

  protected current(): RunChannelMessage | null {
    return this.newest;
  }

  protected async readSnapshot(): Promise<void> {
    const [newest] = await this.deps.store.list(this.deps.domain, 1);
    if (newest) this.receive(newest);
  }

  protected async catchUp(): Promise<void> {
    const runs = await this.deps.store.list(this.deps.domain, CATCH_UP_RUNS);
    const since = this.newestCreatedAt;
    // Open runs this watch knows, and runs started after its newest; older ones are not news.
    // Oldest first, so the newest run's state is the last one handed on.
    for (const run of runs.reverse()) {
      if (this.open.has(run.run_id) || run.created_at > since) this.receive(run);
    }
  }

  protected receive(message: RunChannelMessage): void {
    if (!this.live) return;
    if (isDeletedNotice(message)) {
      this.end(message.run_id, Number.POSITIVE_INFINITY);
      if (this.newest?.run_id === message.run_id) this.forgetNewest();
      return;
    }
    if (message.version <= this.lastVersion(message.run_id)) return;
    if (isTerminal(message)) this.end(message.run_id, message.version);
    else this.open.set(message.run_id, message.version);
    const newest = this.newest;
    if (!newest || newest.run_id === message.run_id || message.created_at >= newest.created_at) {
      this.newest = message;
    }
    if (message.created_at > this.newestCreatedAt) this.newestCreatedAt = message.created_at;
    this.broadcast(message, false);
  }

  /** The last version of the run handed on (Infinity: deleted); 0 when none is held. */
  private lastVersion(runId: string): number {
    return this.open.get(runId) ?? this.ended.get(runId) ?? 0;
  }

  /** The run can write no more: from open to the latest ended, forgetting the oldest ended. */
  private end(runId: string, version: number): void {
    this.open.delete(runId);
    this.ended.delete(runId);
    this.ended.set(runId, version);
    if (this.ended.size > ENDED_RUNS_KEPT) {
      const [oldest] = this.ended.keys();
      if (oldest !== undefined) this.ended.delete(oldest);
    }
  }

  /** The newest run was deleted: the next newest stored run, if any, takes its place. */
  private forgetNewest(): void {
    this.newest = null;
    this.deps.store.list(this.deps.domain, 1).then(
      ([stored]) => {
        const seen = stored ? this.lastVersion(stored.run_id) : 0;
        // Only when no newer state arrived meanwhile, and not a run already gone.
        if (stored && !this.newest && seen !== Number.POSITIVE_INFINITY) {
          if (stored.version >= seen) this.newest = stored;
        }
      },
      () => {
        // Only the first state of later joiners depends on it; they then start from the next.
      },
    );
  }
}
