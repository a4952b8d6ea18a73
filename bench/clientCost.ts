/**
 * What a subscriber costs its own process: client CPU per event and memory per subscriber,
 * for each client the push benchmark runs (graphql-ws, graphql-sse, Apollo Client's HttpLink,
 * the two minimal readers) and for a plain ioredis subscriber, the baseline.
 *
 * Each client gets a fresh client process holding 100 subscribers of one run (the raw ones:
 * of one channel). Its CPU (utime + stime, from /proc) is read over a quiet window, then over
 * 200 writes 20 ms apart (each one event per subscriber); CPU per event is the busy window's
 * CPU less the quiet window's (scaled to the same length), over subscribers x writes. Memory
 * per subscriber is the growth of the process's RSS from before the subscribers opened to
 * after, over their number (no GC is forced).
 */
import { cpuSeconds, rssMb } from '../support/processStats.ts';
import type { SubscriberClient } from './harness/clients/graphql.ts';
import type { CollectResult, OpenResult } from './harness/clients/push.ts';
import type { BenchContext } from './harness/context.ts';
import { type Figures, plainFigure } from './harness/figures.ts';
import type { BenchWriter } from './harness/redis.ts';
import type { ServiceHandle } from './harness/service.ts';
import { withServiceAndWriter } from './harness/serviceWithWriter.ts';
import { nowMs, sleep } from './harness/stats.ts';
import { startClientWorkers } from './harness/workers.ts';

const CLIENTS: Array<'raw' | SubscriberClient> = [
  'raw',
  'ws',
  'sse',
  'multipart',
  'sse_reader',
  'multipart_reader',
];
const SUBSCRIBERS = 100;
const SPACING_MS = 20;
const QUIET_MS = 2_000;

export async function clientCost(context: BenchContext): Promise<Figures> {
  const writes = context.quick ? 100 : 200;
  const costs: Partial<Record<(typeof CLIENTS)[number], ClientCost>> = {};
  await withServiceAndWriter(async ({ redisUrl, service, writer }) => {
    for (const client of CLIENTS) {
      const cost = await measureClient(client, service, writer, redisUrl, writes);
      costs[client] = cost;
      context.log(
        `${client}: ${cost.cpuUsPerEvent.toFixed(1)} µs CPU per event, ` +
          `${cost.rssKbPerSubscriber.toFixed(1)} KB RSS per subscriber ` +
          `(${SUBSCRIBERS} subscribers, ${SUBSCRIBERS * writes} events, ${cost.missing} missing)`,
      );
    }
  });
  const raw = costs.raw as ClientCost;
  const figures: Figures = {};
  for (const client of CLIENTS) {
    if (client === 'raw') continue;
    const cost = costs[client] as ClientCost;
    const note = cost.missing > 0 ? `${cost.missing} events never arrived` : undefined;
    figures[`client_cpu_us_per_event_${client}`] = plainFigure({
      value: cost.cpuUsPerEvent,
      baseline: raw.cpuUsPerEvent,
      unit: 'µs',
      note,
    });
    figures[`client_rss_kb_per_subscriber_${client}`] = plainFigure({
      value: cost.rssKbPerSubscriber,
      baseline: raw.rssKbPerSubscriber,
      unit: 'KB',
    });
  }
  return figures;
}

/** One client's cost, measured in a client process of its own. */
interface ClientCost {
  cpuUsPerEvent: number;
  rssKbPerSubscriber: number;
  /** Events (of subscribers x writes) that never arrived. */
  missing: number;
}

async function measureClient(
  client: 'raw' | SubscriberClient,
  service: ServiceHandle,
  writer: BenchWriter,
  redisUrl: string,
  writes: number,
): Promise<ClientCost> {
  const pool = await startClientWorkers(1, `clients-${client}`);
  const worker = pool.workers[0] as (typeof pool.workers)[number];
  const group = `cost-${client}`;
  try {
    let run = await writer.createRun(`${client.replace('_', '-')}.bench-example.com`);
    const channel = writer.channel(run);
    await sleep(500);
    const rssBefore = rssMb(worker.pid);
    const opened =
      client === 'raw'
        ? await worker.call<OpenResult>('push.openRaw', {
            group,
            count: SUBSCRIBERS,
            redisUrl,
            channel,
          })
        : await worker.call<OpenResult>('push.openGraphql', {
            group,
            client,
            count: SUBSCRIBERS,
            concurrency: 50,
            graphqlUrl: service.graphqlUrl,
            wsUrl: service.wsUrl,
            redisUrl,
            channel,
            domain: run.domain,
            runId: run.run_id,
          });
    if (opened.opened < SUBSCRIBERS) {
      throw new Error(`${client}: ${opened.opened}/${SUBSCRIBERS} subscribed: ${opened.errors[0]}`);
    }
    await sleep(1_000);
    const rssAfter = rssMb(worker.pid);

    const quietStart = nowMs();
    const quietCpu = cpuSeconds(worker.pid);
    await sleep(QUIET_MS);
    const quietCpuPerMs = (cpuSeconds(worker.pid) - quietCpu) / (nowMs() - quietStart);

    const versions: number[] = [];
    const busyStart = nowMs();
    const busyCpu = cpuSeconds(worker.pid);
    for (let i = 0; i < writes; i++) {
      const started = nowMs();
      // The raw subscribers are on the run's channel: they get the store's own PUBLISH.
      run = await writer.progress(run, i);
      versions.push(run.version);
      await sleep(Math.max(0, SPACING_MS - (nowMs() - started)));
    }
    await worker.call('push.waitForVersion', { group, version: run.version, timeoutMs: 15_000 });
    const busyMs = nowMs() - busyStart;
    const busyCpuSeconds = cpuSeconds(worker.pid) - busyCpu - quietCpuPerMs * busyMs;
    const collected = await worker.call<CollectResult>('push.collect', {
      group,
      versions,
      reference: {},
      mode: 'raw',
    });
    const events = SUBSCRIBERS * writes;
    await writer.complete(run);
    return {
      cpuUsPerEvent: (busyCpuSeconds * 1e6) / events,
      rssKbPerSubscriber: ((rssAfter - rssBefore) * 1024) / SUBSCRIBERS,
      missing: collected.missing,
    };
  } finally {
    await pool.all('push.close', () => ({}));
    await pool.stop();
  }
}
