/**
 * 3. Subscription scale: 10,000 concurrent WebSocket subscriptions (graphql-ws, one per
 * socket) on one run in one service process, clients spread over four processes. Reports the
 * service's RSS (from /proc) before and after, both after a full GC, then writes once to the
 * run and counts the subscribers that received it.
 *
 * Measured twice: the service as `npm start` runs it (sources under tsx), which gives the
 * headline figures, and the same code bundled by esbuild under plain node, which tells the
 * service's own memory from the tsx loader's.
 */
import type { CollectResult, OpenResult } from './harness/clients/push.ts';
import type { BenchContext } from './harness/context.ts';
import { type Figures, plainFigure, ratioFigure } from './harness/figures.ts';
import { BenchWriter, startRedis } from './harness/redis.ts';
import { type ServiceHandle, startService } from './harness/service.ts';
import { nowMs, type Summary, sleep, summarize } from './harness/stats.ts';
import { type ClientPool, shares, startClientWorkers } from './harness/workers.ts';

const CLIENT_PROCESSES = 4;
const RSS_TARGET_MB = 300;

interface ScaleResult {
  subscribed: number;
  delivered: number;
  rssBefore: number;
  rssAfter: number;
  heapBefore: number;
  heapAfter: number;
  fanout: Summary;
}

export async function subscriptionScale(context: BenchContext): Promise<Figures> {
  const total = context.quick ? 5_000 : 10_000;
  const n = `${total / 1000}k`;
  const asStarted = await measureScale(context, total, false);
  const compiled = await measureScale(context, total, true);
  const perSubscriptionKb = (r: ScaleResult) =>
    ((r.rssAfter - r.rssBefore) * 1024) / Math.max(1, r.subscribed);
  return {
    [`subs_${n}_rss_mb`]: plainFigure({
      value: asStarted.rssAfter,
      baseline: asStarted.rssBefore,
      unit: 'MB',
      target: { op: '<', bound: RSS_TARGET_MB },
      note: `service RSS (as npm start runs it, under tsx) with ${asStarted.subscribed} open subscriptions; baseline: the same process before them; both after a full GC`,
    }),
    [`subs_${n}_kb_per_subscription`]: plainFigure({
      value: perSubscriptionKb(asStarted),
      baseline:
        (asStarted.heapAfter - asStarted.heapBefore) / 1024 / Math.max(1, asStarted.subscribed),
      unit: 'KB',
      note: 'RSS growth per subscription; baseline: JS heap growth per subscription',
    }),
    [`subs_${n}_delivered_ratio`]: ratioFigure({
      measured: asStarted.delivered,
      baseline: total,
      unit: 'subscribers',
      target: { op: '>=', bound: 1 },
    }),
    [`subs_${n}_fanout_p99_ms`]: plainFigure({
      value: asStarted.fanout.p99,
      baseline: asStarted.fanout.p50,
      unit: 'ms',
      note: `one write to ${total} subscribers, from the raw Redis subscriber to each client; baseline: the p50; the last after ${asStarted.fanout.max.toFixed(0)} ms`,
    }),
    [`subs_${n}_rss_mb_compiled`]: plainFigure({
      value: compiled.rssAfter,
      baseline: compiled.rssBefore,
      unit: 'MB',
      target: { op: '<', bound: RSS_TARGET_MB },
      note: `the same, with the service bundled by esbuild and run by plain node (no tsx loader); ${compiled.delivered}/${total} delivered`,
    }),
  };
}

async function measureScale(
  context: BenchContext,
  total: number,
  compiled: boolean,
): Promise<ScaleResult> {
  const label = compiled ? 'compiled' : 'tsx';
  const redis = await startRedis();
  let service: ServiceHandle | undefined;
  let writer: BenchWriter | undefined;
  let pool: ClientPool | undefined;
  try {
    service = await startService({ redisUrl: redis.url, compiled });
    writer = new BenchWriter(redis.url, service.kvPrefix);
    pool = await startClientWorkers(CLIENT_PROCESSES, `scale-${label}`);
    let run = await writer.createRun('scale.bench-example.com');
    const params = (count: number) => ({
      group: 'scale',
      transport: 'ws',
      count,
      concurrency: 100,
      graphqlUrl: (service as ServiceHandle).graphqlUrl,
      wsUrl: (service as ServiceHandle).wsUrl,
      redisUrl: redis.url,
      channel: (writer as BenchWriter).channel(run),
      domain: run.domain,
      runId: run.run_id,
    });

    // Warm the service up with one subscription, so that "before" holds what any serving
    // process holds (compiled code, a Redis subscriber) and not only what it holds idle.
    const first = pool.workers[0] as ClientPool['workers'][number];
    const warm = await first.call<OpenResult>('push.openGraphql', params(1));
    if (warm.opened !== 1) throw new Error(`warm-up subscription failed: ${warm.errors[0]}`);
    await first.call('push.close', {});
    await sleep(1_000);
    const heapBefore = (await service.memory()).heapUsed;
    const rssBefore = service.rssMb();

    const counts = shares(total, pool.size);
    const openedAt = nowMs();
    const opened = await pool.all<OpenResult>('push.openGraphql', (i) => params(counts[i] ?? 0));
    const openSeconds = (nowMs() - openedAt) / 1000;
    const subscribed = opened.reduce((sum, o) => sum + o.opened, 0);
    const watches = await service.openWatches();
    await sleep(2_000);
    const heapAfter = (await service.memory()).heapUsed;
    const rssAfter = service.rssMb();
    context.log(
      `${label}: ${subscribed}/${total} subscribed in ${openSeconds.toFixed(1)} s ` +
        `(server: ${watches} open watches); RSS ${rssBefore.toFixed(1)} -> ${rssAfter.toFixed(1)} MB, ` +
        `heap ${mb(heapBefore)} -> ${mb(heapAfter)} MB` +
        (opened.some((o) => o.failed > 0) ? `; errors: ${opened.flatMap((o) => o.errors)[0]}` : ''),
    );

    run = await writer.progress(run, 1);
    const missing = await pool.all<number>('push.waitForVersion', () => ({
      group: 'scale',
      version: run.version,
      timeoutMs: 30_000,
    }));
    const collected = await pool.all<CollectResult>('push.collect', () => ({
      group: 'scale',
      versions: [run.version],
      reference: {},
      mode: 'graphql',
    }));
    const delivered = subscribed - missing.reduce((sum, m) => sum + m, 0);
    const fanout = summarize(collected.flatMap((c) => c.latencies));
    context.log(
      `${label}: one write: ${delivered}/${total} delivered; p50 ${fanout.p50.toFixed(1)} ms, ` +
        `p99 ${fanout.p99.toFixed(1)} ms, last ${fanout.max.toFixed(1)} ms after the raw subscriber`,
    );

    // The terminal state ends every stream; the clients then close their sockets.
    await writer.complete(run);
    await sleep(1_000);
    await pool.all('push.close', () => ({}));
    return { subscribed, delivered, rssBefore, rssAfter, heapBefore, heapAfter, fanout };
  } finally {
    await pool?.stop();
    await writer?.close();
    await service?.stop();
    await redis.stop();
  }
}

function mb(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}
