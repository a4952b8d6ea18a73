import type { Redis } from 'ioredis';

/**
 * Remembers which deliveries of a sender were accepted, for a while, so that a delivery sent
 * again (a webhook resent after a timeout) is recognised and does nothing new.
 */
export interface DeliveryLog {
  /** True the first time `id` is recorded within the retention; false for a repeat. */
  recordFirst(id: string): Promise<boolean>;
}

/** One process's memory: ids expire after `retentionMs`. */
export class MemoryDeliveryLog implements DeliveryLog {
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly retentionMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async recordFirst(id: string): Promise<boolean> {
    const now = this.now();
    // Ids are kept in arrival order, so the expired ones are at the front.
    for (const [known, expiry] of this.expiries) {
      if (expiry > now) break;
      this.expiries.delete(known);
    }
    if (this.expiries.has(id)) return false;
    this.expiries.set(id, now + this.retentionMs);
    return true;
  }
}

/** Shared by every instance: one key per id, set only if absent, expiring by itself. */
export class RedisDeliveryLog implements DeliveryLog {
  constructor(
    private readonly redis: Redis,
    /** The key prefix (with KV_PREFIX) under which ids are kept. */
    private readonly prefix: string,
    private readonly retentionMs: number,
  ) {}

  async recordFirst(id: string): Promise<boolean> {
    const set = await this.redis.set(`${this.prefix}${id}`, '1', 'PX', this.retentionMs, 'NX');
    return set === 'OK';
  }
}
