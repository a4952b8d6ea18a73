import type { Redis } from 'ioredis';

/**
 * Values kept by key for a while after their last use: a read of a value renews its time, so
 * what is read regularly stays and what is no longer asked for expires by itself. The store
 * knows nothing of what the values mean; callers give it strings (JSON, say).
 */
export interface ExpiringValues {
  /** The value of each key, in order (undefined when absent or expired); each found one renewed. */
  getMany(keys: readonly string[]): Promise<Array<string | undefined>>;
  /** Renews each key that is still kept, as a read would, without reading its value. */
  renew(keys: readonly string[]): Promise<void>;
  /** Stores each value under its key, replacing what was there, for the whole retention. */
  setMany(entries: ReadonlyArray<{ key: string; value: string }>): Promise<void>;
}

/**
 * One process's memory. Entries are kept in order of last use, so the expired ones are at
 * the front and a write prunes them in passing.
 */
export class MemoryExpiringValues implements ExpiringValues {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();

  constructor(
    private readonly retentionSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  async getMany(keys: readonly string[]): Promise<Array<string | undefined>> {
    const now = this.now();
    return keys.map((key) => {
      const entry = this.entries.get(key);
      if (!entry) return undefined;
      this.entries.delete(key);
      if (entry.expiresAt <= now) return undefined;
      this.entries.set(key, { value: entry.value, expiresAt: now + this.retentionSeconds * 1000 });
      return entry.value;
    });
  }

  async renew(keys: readonly string[]): Promise<void> {
    await this.getMany(keys);
  }

  async setMany(entries: ReadonlyArray<{ key: string; value: string }>): Promise<void> {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now) break;
      this.entries.delete(key);
    }
    for (const { key, value } of entries) {
      this.entries.delete(key);
      this.entries.set(key, { value, expiresAt: now + this.retentionSeconds * 1000 });
    }
  }
}

/** Shared by every instance: one Redis key per value, under a prefix, with its TTL renewed on read. */
export class RedisExpiringValues implements ExpiringValues {
  constructor(
    private readonly redis: Redis,
    /** The key prefix (with KV_PREFIX) under which values are kept. */
    private readonly prefix: string,
    private readonly retentionSeconds: number,
  ) {}

  async getMany(keys: readonly string[]): Promise<Array<string | undefined>> {
    if (keys.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.getex(`${this.prefix}${key}`, 'EX', this.retentionSeconds);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, value]) => {
      if (error) throw error;
      return typeof value === 'string' ? value : undefined;
    });
  }

  async renew(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.expire(`${this.prefix}${key}`, this.retentionSeconds);
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
  }

  async setMany(entries: ReadonlyArray<{ key: string; value: string }>): Promise<void> {
    if (entries.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const { key, value } of entries) {
      pipeline.set(`${this.prefix}${key}`, value, 'EX', this.retentionSeconds);
    }
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
  }
}
