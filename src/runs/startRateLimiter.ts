import type { Redis } from 'ioredis';
import type { Principal } from '../auth.ts';
import { rateLimited } from '../errors.ts';

/**
 * How many runs one principal may start per minute (START_RATE_LIMIT). A fixed one-minute
 * window per principal: in Redis one INCR with an expiry, shared by every instance of the
 * deployment; in memory, a map swept as windows pass.
 */
export interface StartRateLimiter {
  /** Counts one start; rejects with RATE_LIMITED (and counts nothing) past the limit. */
  admit(principal: Principal): Promise<void>;
}

const WINDOW_MS = 60_000;

function refuse(limit: number, retryAfterMs: number): never {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  throw rateLimited(
    `Too many runs started: at most ${limit} per minute. Try again in ${seconds} s.`,
    seconds,
  );
}

export class MemoryStartRateLimiter implements StartRateLimiter {
  private readonly windows = new Map<string, { window: number; count: number }>();

  constructor(
    private readonly limitPerMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  async admit(principal: Principal): Promise<void> {
    const now = this.now();
    const window = Math.floor(now / WINDOW_MS);
    if (this.windows.size > 10_000) {
      for (const [id, entry] of this.windows) if (entry.window !== window) this.windows.delete(id);
    }
    const entry = this.windows.get(principal.id);
    const count = entry && entry.window === window ? entry.count : 0;
    if (count >= this.limitPerMinute) refuse(this.limitPerMinute, (window + 1) * WINDOW_MS - now);
    this.windows.set(principal.id, { window, count: count + 1 });
  }
}

export class RedisStartRateLimiter implements StartRateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly limitPerMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  async admit(principal: Principal): Promise<void> {
    const now = this.now();
    const window = Math.floor(now / WINDOW_MS);
    const key = `${this.keyPrefix}${principal.id}:${window}`;
    const [[, count]] = (await this.redis
      .multi()
      .incr(key)
      .pexpire(key, WINDOW_MS * 2)
      .exec()) as [[Error | null, number], [Error | null, number]];
    if (count > this.limitPerMinute) {
      // Give the refused attempt back, so that refusals do not extend the limit.
      await this.redis.decr(key);
      refuse(this.limitPerMinute, (window + 1) * WINDOW_MS - now);
    }
  }
}
