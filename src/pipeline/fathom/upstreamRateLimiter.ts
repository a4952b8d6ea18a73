import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RedisScript } from '../../kv/redisScript.ts';
import { sleep } from '../../timing.ts';

/**
 * Paces calls to an upstream across every instance of the deployment: at most `limit`
 * calls in any sliding `windowMs`, and none at all while the upstream has told us to wait
 * (a 429's Retry-After, or RateLimit-Remaining: 0 until RateLimit-Reset).
 */
export interface UpstreamRateLimiter {
  /** Resolves when a call may be made now (and counts it); rejects when `signal` aborts. */
  acquire(signal: AbortSignal): Promise<void>;
  /** No calls for the next `ms`, on every instance. */
  pauseFor(ms: number): Promise<void>;
}

interface Limits {
  limit: number;
  windowMs: number;
}

/** One process: timestamps of recent calls in memory. */
export class MemoryRateLimiter implements UpstreamRateLimiter {
  private readonly calls: number[] = [];
  private pausedUntil = 0;

  constructor(
    private readonly limits: Limits,
    private readonly now: () => number = Date.now,
  ) {}

  async acquire(signal: AbortSignal): Promise<void> {
    for (;;) {
      const wait = this.tryAcquire();
      if (wait <= 0) return;
      await sleep(wait, signal);
    }
  }

  async pauseFor(ms: number): Promise<void> {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }

  private tryAcquire(): number {
    const now = this.now();
    if (this.pausedUntil > now) return this.pausedUntil - now;
    while (this.calls.length > 0 && (this.calls[0] as number) <= now - this.limits.windowMs) {
      this.calls.shift();
    }
    if (this.calls.length < this.limits.limit) {
      this.calls.push(now);
      return 0;
    }
    return (this.calls[0] as number) + this.limits.windowMs - now;
  }
}

const acquireScript = new RedisScript(new URL('./lua/acquireRateSlot.lua', import.meta.url), 2);
const pauseScript = new RedisScript(new URL('./lua/pauseUpstream.lua', import.meta.url), 1);

/** Every instance on one Redis: a sorted set of recent calls, timed by the Redis clock. */
export class RedisRateLimiter implements UpstreamRateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly limits: Limits,
  ) {}

  async acquire(signal: AbortSignal): Promise<void> {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const wait = Number(
        await acquireScript.run(
          this.redis,
          [`${this.keyPrefix}calls`, `${this.keyPrefix}paused-until`],
          [this.limits.windowMs, this.limits.limit, randomUUID()],
        ),
      );
      if (wait <= 0) return;
      await sleep(wait, signal);
    }
  }

  async pauseFor(ms: number): Promise<void> {
    if (ms <= 0) return;
    await pauseScript.run(this.redis, [`${this.keyPrefix}paused-until`], [Math.ceil(ms)]);
  }
}
