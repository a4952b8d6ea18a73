import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { KeySpace } from '../../src/kv/keySpace.ts';
import { RedisEngagementStore } from '../../src/kv/redisEngagementStore.ts';
import type { RunRecord } from '../../src/model/runRecord.ts';
import { advance, complete, newRun } from '../../src/model/runTransitions.ts';
import { type RedisServerHandle, startRedisServer } from '../../support/redisServer.ts';
import { sampleSummary } from '../../support/scriptedPipeline.ts';
import { nowMs } from './stats.ts';

const live = new Set<RedisServerHandle>();
process.on('exit', () => {
  // stop() kills the server synchronously (SIGKILL); nothing to await at exit.
  for (const server of live) void server.stop();
});

/** A throwaway redis-server of the benchmark's own, stopped when the suite exits. */
export async function startRedis(): Promise<RedisServerHandle> {
  const server = await startRedisServer();
  live.add(server);
  return {
    ...server,
    async stop() {
      live.delete(server);
      await server.stop();
    },
  };
}

/** Long enough that the service's deadline sweeper never ends a benchmark's run. */
const BENCH_RUN_TIMEOUT_MS = 3_600_000;
const TTL_SECONDS = 3_600;

/**
 * Writes run states the way the service does: through its RedisEngagementStore, so each
 * write is the writeRun.lua script (conditional record write, indexes and PUBLISH).
 */
export class BenchWriter {
  readonly redis: Redis;
  readonly keys: KeySpace;
  readonly store: RedisEngagementStore;
  /**
   * nowMs() taken just before the last write was handed to the store, which serialises the
   * record and sends the EVALSHA (whose script PUBLISHes it): the start of a push.
   */
  lastWriteSentAt = 0;

  constructor(redisUrl: string, kvPrefix: string) {
    this.redis = new Redis(redisUrl, { connectionName: 'bench-writer' });
    this.keys = new KeySpace(kvPrefix);
    this.store = new RedisEngagementStore(this.redis, this.keys, TTL_SECONDS);
  }

  channel(run: Pick<RunRecord, 'domain' | 'run_id'>): string {
    return this.keys.runChannel(run.domain, run.run_id);
  }

  async createRun(domain: string): Promise<RunRecord> {
    const run = newRun(domain, randomUUID(), new Date(), BENCH_RUN_TIMEOUT_MS);
    await this.write(run);
    return run;
  }

  /** The next progress state (same stage, a new meeting count): one more version. */
  async progress(run: RunRecord, meetingsFound: number): Promise<RunRecord> {
    const next = advance(run, { stage: 'fetching_meetings', meetingsFound }, new Date());
    await this.write(next);
    return next;
  }

  async complete(run: RunRecord): Promise<RunRecord> {
    const next = complete(run, sampleSummary(), new Date());
    await this.write(next);
    return next;
  }

  async write(record: RunRecord): Promise<void> {
    this.lastWriteSentAt = nowMs();
    const result = await this.store.write(record);
    if (!result.ok) throw new Error(`bench write of ${record.run_id} refused: ${result.reason}`);
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

/** A completed run as the pipeline leaves it (version 5, with a summary), for seeding. */
export function completedRecord(domain: string, createdAt: Date): RunRecord {
  let run = newRun(domain, randomUUID(), createdAt, 60_000);
  const later = new Date(createdAt.getTime() + 20_000);
  run = advance(run, { stage: 'fetching_meetings' }, later);
  run = advance(run, { stage: 'fetching_meetings', meetingsFound: 1 }, later);
  run = advance(run, { stage: 'summarizing' }, later);
  return complete(run, sampleSummary(), later);
}
