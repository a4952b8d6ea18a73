import { RedisPubSub } from 'graphql-redis-subscriptions';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { type DeliveryLog, MemoryDeliveryLog, RedisDeliveryLog } from './kv/deliveryLog.ts';
import type { EngagementStore } from './kv/engagementStore.ts';
import {
  type ExpiringValues,
  MemoryExpiringValues,
  RedisExpiringValues,
} from './kv/expiringValues.ts';
import type { KeySpace } from './kv/keySpace.ts';
import { MemoryEngagementStore } from './kv/memoryEngagementStore.ts';
import { RedisEngagementStore } from './kv/redisEngagementStore.ts';
import {
  MemoryRateLimiter,
  RedisRateLimiter,
  type UpstreamRateLimiter,
} from './pipeline/fathom/upstreamRateLimiter.ts';
import {
  MemoryRunLeaseStore,
  RedisRunLeaseStore,
  type RunLeaseStore,
} from './pipeline/runLease.ts';
import { InProcessEventBus } from './pubsub/inProcessEventBus.ts';
import type { RunEventBus } from './pubsub/runEventBus.ts';
import {
  MemoryStartRateLimiter,
  RedisStartRateLimiter,
  type StartRateLimiter,
} from './runs/startRateLimiter.ts';

/** Where runs live and how their updates travel: Redis when REDIS_URL is set, else memory. */
export interface Backend {
  kind: 'redis' | 'memory';
  store: EngagementStore;
  events: RunEventBus;
  startLimiter: StartRateLimiter;
  /** Paces Fathom calls: per process in memory, per deployment in Redis. */
  fathomRateLimiter: UpstreamRateLimiter;
  /** Which executor may execute a run now: per process in memory, per deployment in Redis. */
  runLeases: RunLeaseStore;
  /** Webhook deliveries accepted in the last 24 hours, so that a resent one does nothing. */
  deliveries: DeliveryLog;
  /**
   * What the summariser keeps between runs (its findings per meeting and per company), for
   * ENGAGEMENT_TTL_SECONDS after last use: per process in memory, per deployment in Redis.
   */
  findings: ExpiringValues;
  /** The command connection, for components that keep their own keys (Redis mode only). */
  redis?: Redis;
  /** Calls `listener` each time the pub/sub connection is back after a drop. */
  onEventsReconnected(listener: () => void): void;
  close(): Promise<void>;
}

/** How long an accepted webhook delivery is remembered (Fathom resends within a day). */
const DELIVERY_RETENTION_MS = 24 * 60 * 60 * 1000;

export function createBackend(config: Config, keys: KeySpace, logger: Logger): Backend {
  const fathomLimits = { limit: config.fathom.rateLimit, windowMs: config.fathom.rateWindowMs };
  if (!config.redisUrl) {
    const events = new InProcessEventBus();
    const store = new MemoryEngagementStore(keys, events, config.engagementTtlSeconds);
    return {
      kind: 'memory',
      store,
      events,
      startLimiter: new MemoryStartRateLimiter(config.startRateLimitPerMinute),
      fathomRateLimiter: new MemoryRateLimiter(fathomLimits),
      runLeases: new MemoryRunLeaseStore(),
      deliveries: new MemoryDeliveryLog(DELIVERY_RETENTION_MS),
      findings: new MemoryExpiringValues(config.engagementTtlSeconds),
      onEventsReconnected: () => {},
      close: () => store.close(),
    };
  }

  // Commands issued in the same tick share one write to the socket (auto-pipelining): under
  // load, many requests' reads and writes go out together instead of one syscall each.
  const redis = new Redis(config.redisUrl, {
    connectionName: 'engagement-summary',
    enableAutoPipelining: true,
  });
  const subscriber = redis.duplicate({
    connectionName: 'engagement-summary:subscriber',
    enableAutoPipelining: false,
  });
  for (const [name, connection] of [
    ['commands', redis],
    ['subscriber', subscriber],
  ] as const) {
    connection.on('error', (error) => logger.warn({ err: error, connection: name }, 'redis error'));
  }
  // RedisPubSub only subscribes here: records are published by the write script itself.
  const events = new RedisPubSub({ publisher: redis, subscriber });
  // ioredis resubscribes by itself after a reconnect; what was published meanwhile is lost.
  const reconnectListeners: Array<() => void> = [];
  let readyBefore = false;
  subscriber.on('ready', () => {
    if (readyBefore) for (const listener of reconnectListeners) listener();
    readyBefore = true;
  });
  return {
    kind: 'redis',
    store: new RedisEngagementStore(redis, keys, config.engagementTtlSeconds),
    events,
    startLimiter: new RedisStartRateLimiter(
      redis,
      keys.scoped('rate-limit:start:'),
      config.startRateLimitPerMinute,
    ),
    fathomRateLimiter: new RedisRateLimiter(redis, keys.scoped('rate-limit:fathom:'), fathomLimits),
    runLeases: new RedisRunLeaseStore(redis, keys, config.runTimeoutMs),
    deliveries: new RedisDeliveryLog(
      redis,
      keys.scoped('webhook-delivery:'),
      DELIVERY_RETENTION_MS,
    ),
    findings: new RedisExpiringValues(redis, keys.scoped('findings:'), config.engagementTtlSeconds),
    redis,
    onEventsReconnected: (listener) => reconnectListeners.push(listener),
    async close() {
      await Promise.allSettled([subscriber.quit(), redis.quit()]);
    },
  };
}
