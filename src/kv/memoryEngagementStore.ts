import {
  isTerminal,
  type RunDeletedNotice,
  type RunRecord,
  type RunRef,
} from '../model/runRecord.ts';
import type { WriteResult } from '../model/versionedRunStore.ts';
import type { InProcessEventBus } from '../pubsub/inProcessEventBus.ts';
import type { EngagementStore } from './engagementStore.ts';
import type { KeySpace } from './keySpace.ts';

interface StoredRun {
  json: string;
  record: RunRecord;
  expiresAt: number;
}

/** Index entry of one run under its domain, kept in creation order. */
interface IndexEntry {
  createdAt: number;
  runId: string;
}

/**
 * The embedded backend: the same semantics as the Redis store (conditional writes,
 * TTL, per-domain index, publish on write) within one process. Every operation is
 * synchronous inside, so each write is atomic just as the Lua script is.
 */
export class MemoryEngagementStore implements EngagementStore {
  private readonly runs = new Map<string, StoredRun>();
  private readonly indexes = new Map<string, IndexEntry[]>();
  /** Runs still PROCESSING, by key, with their deadline (ms). */
  private readonly open = new Map<string, { ref: RunRef; deadline: number }>();
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(
    private readonly keys: KeySpace,
    private readonly events: InProcessEventBus,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    this.sweepTimer = setInterval(() => this.sweepExpired(), 60_000);
    this.sweepTimer.unref();
  }

  async write(record: RunRecord): Promise<WriteResult> {
    const key = this.keys.run(record.domain, record.run_id);
    const current = this.live(key);
    if (current) {
      if (record.version === 1) return { ok: false, reason: 'exists' };
      if (isTerminal(current.record)) return { ok: false, reason: 'terminal' };
      if (current.record.version !== record.version - 1) return { ok: false, reason: 'stale' };
    } else if (record.version !== 1) {
      return { ok: false, reason: 'missing' };
    }
    const json = JSON.stringify(record);
    this.runs.set(key, {
      json,
      record: JSON.parse(json) as RunRecord,
      expiresAt: this.now() + this.ttlSeconds * 1000,
    });
    if (record.version === 1)
      this.addToIndex(record.domain, Date.parse(record.created_at), record.run_id);
    this.events.publish(this.keys.runChannel(record.domain, record.run_id), json);
    this.events.publish(this.keys.domainChannel(record.domain), json);
    return { ok: true };
  }

  async get(domain: string, runId: string): Promise<RunRecord | null> {
    const stored = this.live(this.keys.run(domain, runId));
    return stored ? (JSON.parse(stored.json) as RunRecord) : null;
  }

  async getRaw(domain: string, runId: string): Promise<string | null> {
    return this.live(this.keys.run(domain, runId))?.json ?? null;
  }

  async list(domain: string, limit: number): Promise<RunRecord[]> {
    const index = this.indexes.get(domain);
    if (!index) return [];
    const found: RunRecord[] = [];
    for (let i = index.length - 1; i >= 0 && found.length < limit; i--) {
      const entry = index[i] as IndexEntry;
      const stored = this.live(this.keys.run(domain, entry.runId));
      if (stored) found.push(JSON.parse(stored.json) as RunRecord);
      else index.splice(i, 1);
    }
    if (index.length === 0) this.indexes.delete(domain);
    return found;
  }

  async delete(domain: string, runId: string): Promise<boolean> {
    this.removeFromIndex(domain, runId);
    return this.dropRun(domain, runId);
  }

  async deleteAll(domain: string): Promise<number> {
    const index = this.indexes.get(domain) ?? [];
    this.indexes.delete(domain);
    let deleted = 0;
    for (const { runId } of index) {
      if (this.dropRun(domain, runId)) deleted++;
    }
    return deleted;
  }

  async listOverdue(epochMs: number, limit: number): Promise<RunRef[]> {
    return [...this.open.values()]
      .filter((entry) => entry.deadline < epochMs)
      .sort((a, b) => a.deadline - b.deadline)
      .slice(0, limit)
      .map((entry) => entry.ref);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
  }

  private live(key: string): StoredRun | undefined {
    const stored = this.runs.get(key);
    if (stored && stored.expiresAt <= this.now()) {
      this.runs.delete(key);
      this.open.delete(key);
      return undefined;
    }
    return stored;
  }

  /** Removes the record and tells its watchers; the caller keeps the index right. */
  private dropRun(domain: string, runId: string): boolean {
    const key = this.keys.run(domain, runId);
    const existed = this.live(key) !== undefined;
    this.runs.delete(key);
    this.open.delete(key);
    if (existed) {
      const notice: RunDeletedNotice = { deleted: true, domain, run_id: runId };
      const json = JSON.stringify(notice);
      this.events.publish(this.keys.runChannel(domain, runId), json);
      this.events.publish(this.keys.domainChannel(domain), json);
    }
    return existed;
  }

  private addToIndex(domain: string, createdAt: number, runId: string): void {
    let index = this.indexes.get(domain);
    if (!index) {
      index = [];
      this.indexes.set(domain, index);
    }
    // Runs are created in time order, so this is almost always an append.
    let at = index.length;
    while (at > 0 && (index[at - 1] as IndexEntry).createdAt > createdAt) at--;
    index.splice(at, 0, { createdAt, runId });
  }

  private removeFromIndex(domain: string, runId: string): void {
    const index = this.indexes.get(domain);
    if (!index) return;
    const at = index.findIndex((entry) => entry.runId === runId);
    if (at >= 0) index.splice(at, 1);
    if (index.length === 0) this.indexes.delete(domain);
  }

  private sweepExpired(): void {
    const now = this.now();
    for (const [key, stored] of this.runs) {
      if (stored.expiresAt <= now) {
        this.runs.delete(key);
        this.open.delete(key);
        this.removeFromIndex(stored.record.domain, stored.record.run_id);
      }
    }
  }
}
