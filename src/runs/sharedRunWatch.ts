import { notFound } from '../errors.ts';
import type { EngagementStore } from '../kv/engagementStore.ts';
import { isDeletedNotice, isTerminal, type RunChannelMessage } from '../model/runRecord.ts';
import { SharedWatch, type SharedWatchDeps } from './sharedWatch.ts';

export interface SharedRunWatchDeps extends SharedWatchDeps {
  store: EngagementStore;
  domain: string;
  runId: string;
}

/**
 * One run watched once in this process for all of its current watchers (see SharedWatch):
 * every state in version order, an older one (the snapshot read after a newer write) dropped;
 * a watcher who joins a live watch starts from its latest state, held in memory. The watch
 * ends after a terminal state or the run's deletion, and when its last watcher leaves.
 */
export class SharedRunWatch extends SharedWatch<SharedRunWatchDeps> {
  private latest: RunChannelMessage | null = null;
  private lastVersion = 0;

  protected current(): RunChannelMessage | null {
    return this.latest;
  }

  protected async readSnapshot(): Promise<void> {
    const { store, domain, runId } = this.deps;
    const snapshot = await store.get(domain, runId);
    if (!snapshot) throw notFound(`No run ${runId} for ${domain}.`);
    this.receive(snapshot);
  }

  protected async catchUp(): Promise<void> {
    const { store, domain, runId } = this.deps;
    const current = await store.get(domain, runId);
    this.receive(current ?? { deleted: true, domain, run_id: runId });
  }

  protected receive(message: RunChannelMessage): void {
    if (!this.live) return;
    if (!isDeletedNotice(message)) {
      if (message.version <= this.lastVersion) return;
      this.lastVersion = message.version;
    }
    this.latest = message;
    this.broadcast(message, isDeletedNotice(message) || isTerminal(message));
  }
}
