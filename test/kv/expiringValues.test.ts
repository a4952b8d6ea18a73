import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { MemoryExpiringValues, RedisExpiringValues } from '../../src/kv/expiringValues.ts';
import { uniquePrefix } from '../support/testApp.ts';

describe('expiring values in memory', () => {
  it('keeps a value for the retention after its last read, then forgets it', async () => {
    let now = 0;
    const values = new MemoryExpiringValues(60, () => now);
    await values.setMany([
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ]);
    expect(await values.getMany(['a', 'b', 'c'])).toEqual(['1', '2', undefined]);
    now = 50_000;
    expect(await values.getMany(['a'])).toEqual(['1']); // renewed until 110 s
    now = 70_000;
    expect(await values.getMany(['a', 'b'])).toEqual(['1', undefined]);
    now = 200_000;
    await values.setMany([{ key: 'c', value: '3' }]);
    expect(await values.getMany(['a', 'c'])).toEqual([undefined, '3']);
    now = 250_000;
    await values.renew(['c', 'missing']); // renewed until 310 s, without a read
    now = 300_000;
    expect(await values.getMany(['c', 'missing'])).toEqual(['3', undefined]);
  });
});

describe('expiring values in Redis', () => {
  it('stores under its prefix with the TTL, renews the TTL on read, and shares across clients', async () => {
    const redis = new Redis(inject('redisUrl'));
    const prefix = `${uniquePrefix()}findings:`;
    const writer = new RedisExpiringValues(redis, prefix, 600);
    await writer.setMany([{ key: 'k1', value: '{"x":1}' }]);
    expect(await redis.get(`${prefix}k1`)).toBe('{"x":1}');
    await redis.expire(`${prefix}k1`, 5);

    const other = new Redis(inject('redisUrl'));
    try {
      const reader = new RedisExpiringValues(other, prefix, 600);
      expect(await reader.getMany(['k1', 'missing'])).toEqual(['{"x":1}', undefined]);
      expect(await redis.ttl(`${prefix}k1`)).toBeGreaterThan(590);
      expect(await reader.getMany([])).toEqual([]);
      await redis.expire(`${prefix}k1`, 5);
      await reader.renew(['k1', 'missing']);
      expect(await redis.ttl(`${prefix}k1`)).toBeGreaterThan(590);
      expect(await redis.exists(`${prefix}missing`)).toBe(0);
    } finally {
      await other.quit();
      await redis.quit();
    }
  });
});
