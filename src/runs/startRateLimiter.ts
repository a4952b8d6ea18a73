import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Principal } from '../auth.ts';
import { rateLimited } from '../errors.ts';

/**
 * How many runs one principal may start per minute (START_RATE_LIMIT), over a sliding
 * window: at most that many starts in any 60 s, however they fall on the clock (a fixed
 * window would let twice the limit through across a minute's boundary). In Redis, one
 * sorted set of start times per principal, shared by every instance of the deployment; in
 * memory, a list of start times per principal.
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
  /** Start times within the last window, oldest first, per principal. */
  private readonly starts = new Map<string, number[]>();

  constructor(
    private readonly limitPerMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  async admit(principal: Principal): Promise<void> {
    const now = this.now();
    const since = now - WINDOW_MS;
    if (this.starts.size > 10_000) {
      for (const [id, times] of this.starts) {
        if ((times.at(-1) ?? 0) <= since) this.starts.delete(id);
      }
    }
    const times = (this.starts.get(principal.id) ?? []).filter((time) => time > since);
    if (times.length >= this.limitPerMinute) {
      this.starts.set(principal.id, times);
      refuse(this.limitPerMinute, (times[0] as number) + WINDOW_MS - now);
    }
    times.push(now);
    this.starts.set(principal.id, times);
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
    const key = `${this.keyPrefix}${principal.id}`;
    const member = `${now}:${randomUUID()}`;
    const replies = (await this.redis
      .multi()
      .zremrangebyscore(key, '-inf', String(now - WINDOW_MS))
      .zadd(key, String(now), member)
      .zcard(key)
      .pexpire(key, WINDOW_MS)
      .zrange(key, '0', '0', 'WITHSCORES')
      .exec()) as Array<[Error | null, unknown]>;
    const count = Number(replies[2]?.[1]);
    if (count > this.limitPerMinute) {
      // Give the refused attempt back, so that refusals do not extend the limit.
      await this.redis.zrem(key, member);
      const oldest = Number((replies[4]?.[1] as string[] | undefined)?.[1] ?? now);
      refuse(this.limitPerMinute, oldest + WINDOW_MS - now);
    }
  }
}
