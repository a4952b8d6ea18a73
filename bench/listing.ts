/**
 * 4. Listing: `engagements(domain, limit: 20)` latency with 1,000 vs 200,000 records stored
 * for the domain. Records are seeded straight into Redis with pipelined writes in the
 * store's own key layout (record JSON with its TTL, the domain's index by creation time),
 * as completed runs with a summary. Queries run one at a time from a client process,
 * alternating between the two domains so that drift hits both alike.
 */
import type { Redis } from 'ioredis';
import type { KeySpace } from '../src/kv/keySpace.ts';
import { LIST_QUERY } from './harness/clients/graphql.ts';
import type { BenchContext } from './harness/context.ts';
import { type Figures, plainFigure, ratioFigure } from './harness/figures.ts';
import { BenchWriter, completedRecord, startRedis } from './harness/redis.ts';
import { type ServiceHandle, startService } from './harness/service.ts';
import { summarize } from './harness/stats.ts';
import { type ClientPool, startClientWorkers } from './harness/workers.ts';

const SMALL = 1_000;
const LARGE = 200_000;
const TTL_SECONDS = 3_600;
const ROUNDS = 10;
const PER_ROUND = 20;

export async function listing(context: BenchContext): Promise<Figures> {
  const large = context.quick ? 50_000 : LARGE;
  const redis = await startRedis();
  let service: ServiceHandle | undefined;
  let writer: BenchWriter | undefined;
  let pool: ClientPool | undefined;
  try {
    service = await startService({ redisUrl: redis.url });
    writer = new BenchWriter(redis.url, service.kvPrefix);
    const small = { domain: 'small.bench-example.com', count: SMALL };
    const big = { domain: 'large.bench-example.com', count: large };
    for (const { domain, count } of [small, big]) {
      const started = Date.now();
      await seed(writer.redis, writer.keys, domain, count);
      context.log(
        `seeded ${count} records for ${domain} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    }
    pool = await startClientWorkers(1, 'listing');
    const worker = pool.workers[0] as ClientPool['workers'][number];
    const query = (domain: string, count: number) =>
      worker.call<number[]>('http.sequential', {
        url: service?.graphqlUrl,
        query: LIST_QUERY,
        variables: { domain, limit: 20 },
        count,
      });
    await query(small.domain, 20);
    await query(big.domain, 20);
    const smallLatencies: number[] = [];
    const largeLatencies: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      smallLatencies.push(...(await query(small.domain, PER_ROUND)));
      largeLatencies.push(...(await query(big.domain, PER_ROUND)));
    }
    const s = summarize(smallLatencies);
    const l = summarize(largeLatencies);
    context.log(
      `1k: p50 ${s.p50.toFixed(2)} ms p99 ${s.p99.toFixed(2)} ms; ` +
        `${large / 1000}k: p50 ${l.p50.toFixed(2)} ms p99 ${l.p99.toFixed(2)} ms`,
    );
    const name = `listing_${large / 1000}k_vs_1k_ratio`;
    return {
      [name]: ratioFigure({
        measured: l.p50,
        baseline: s.p50,
        unit: 'ms',
        target: { op: '<=', bound: 1.5 },
        note: `p50 of ${l.count} queries engagements(limit: 20), ${large} vs ${SMALL} records stored`,
      }),
      [`listing_${large / 1000}k_p99_ms`]: plainFigure({
        value: l.p99,
        baseline: s.p99,
        unit: 'ms',
        note: `baseline: p99 with ${SMALL} records`,
      }),
    };
  } finally {
    await pool?.stop();
    await writer?.close();
    await service?.stop();
    await redis.stop();
  }
}

/** `count` completed runs of `domain`, one every 10 s back from now, in pipelined batches. */
async function seed(redis: Redis, keys: KeySpace, domain: string, count: number): Promise<void> {
  const index = keys.domainIndex(domain);
  const now = Date.now();
  const BATCH = 2_000;
  for (let from = 0; from < count; from += BATCH) {
    const pipeline = redis.pipeline();
    for (let i = from; i < Math.min(count, from + BATCH); i++) {
      const createdAt = new Date(now - (count - i) * 10_000);
      const record = completedRecord(domain, createdAt);
      pipeline.set(keys.run(domain, record.run_id), JSON.stringify(record), 'EX', TTL_SECONDS);
      pipeline.zadd(index, createdAt.getTime(), record.run_id);
    }
    await pipeline.exec();
  }
  await redis.expire(index, TTL_SECONDS);
}
