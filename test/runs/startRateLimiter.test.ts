import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Principal } from '../../src/auth.ts';
import type { AppError } from '../../src/errors.ts';
import {
  MemoryStartRateLimiter,
  RedisStartRateLimiter,
  type StartRateLimiter,
} from '../../src/runs/startRateLimiter.ts';

const connections: Redis[] = [];
afterEach(async () => {
  for (const redis of connections.splice(0)) await redis.quit();
});

/** A clock the test moves by hand, starting 0.5 s before a minute ends. */
function manualClock() {
  let now = Date.UTC(2026, 11, 1, 10, 0, 59, 500);
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const LIMITERS: Record<string, (limit: number, now: () => number) => StartRateLimiter> = {
  memory: (limit, now) => new MemoryStartRateLimiter(limit, now),
  redis: (limit, now) => {
    const redis = new Redis(inject('redisUrl'));
    connections.push(redis);
    return new RedisStartRateLimiter(redis, `test-${randomUUID()}:start-limit:`, limit, now);
  },
};

const team = (id: string): Principal => ({ kind: 'token', id, clientAddress: '127.0.0.1' });

async function refusal(limiter: StartRateLimiter, principal: Principal) {
  try {
    await limiter.admit(principal);
    return undefined;
  } catch (error) {
    return error as AppError;
  }
}

describe.each(Object.keys(LIMITERS))('the start limit on %s', (kind) => {
  const create = LIMITERS[kind] as (typeof LIMITERS)[string];

  it('allows at most the limit in any 60 s, across a minute of the clock', async () => {
    const clock = manualClock();
    const limiter = create(2, clock.now);
    const a = team('team-a');
    expect(await refusal(limiter, a)).toBeUndefined(); // 10:00:59.5
    clock.advance(1_000);
    expect(await refusal(limiter, a)).toBeUndefined(); // 10:01:00.5, a new clock minute
    clock.advance(1_000);
    const third = await refusal(limiter, a);
    expect(third?.code).toBe('RATE_LIMITED');
    // The oldest start leaves the window 60 s after it was made: 58 s from now.
    expect(third?.message).toContain('Try again in 58 s');
    expect(third?.retryAfterSeconds).toBe(58);
  });

  it('admits again once the oldest start is 60 s old, and counts no refused attempt', async () => {
    const clock = manualClock();
    const limiter = create(2, clock.now);
    const a = team('team-a');
    await limiter.admit(a);
    clock.advance(30_000);
    await limiter.admit(a);
    for (let i = 0; i < 3; i++) {
      clock.advance(5_000);
      expect((await refusal(limiter, a))?.code).toBe('RATE_LIMITED');
    }
    clock.advance(15_000); // 60 s after the first start: it has left the window
    expect(await refusal(limiter, a)).toBeUndefined();
    expect((await refusal(limiter, a))?.code).toBe('RATE_LIMITED');
  });

  it('counts each principal on its own', async () => {
    const clock = manualClock();
    const limiter = create(1, clock.now);
    await limiter.admit(team('team-a'));
    expect((await refusal(limiter, team('team-a')))?.code).toBe('RATE_LIMITED');
    expect(await refusal(limiter, team('team-b'))).toBeUndefined();
  });
});
