/**
 * 6. Slow clients: what the service holds for clients that stop reading. One WebSocket and
 * one SSE client (support/pausedClients.ts) subscribe to a run and stop reading after
 * its first state, beside a graphql-ws client that reads everything; then 1,000 states of
 * ~100 KB each are written to the run (300 with --quick), each read by the reader before the
 * next. Reports the growth of the service's JS heap (with Buffers) and RSS (after a full GC) and how many of the
 * paused clients it closed. Keepalive is switched off (WS_KEEPALIVE_MS raised) so that only
 * MAX_UNSENT_BYTES acts.
 *
 * Measured twice, each on a fresh service: with the default MAX_UNSENT_BYTES (1 MiB), and,
 * as the baseline, with a bound no client reaches, which is what the service held before
 * the bound existed.
 */
import type { RunRecord, SummaryRecord } from '../src/model/runRecord.ts';
import { ENGAGEMENT_UPDATED, subscribe } from '../support/graphqlClients.ts';
import {
  type PausedClient,
  pausedSseClient,
  pausedWebSocketClient,
} from '../support/pausedClients.ts';
import type { BenchContext } from './harness/context.ts';
import { type Figures, plainFigure } from './harness/figures.ts';
import { BenchWriter, startRedis } from './harness/redis.ts';
import { type ServiceHandle, startService } from './harness/service.ts';
import { sleep } from './harness/stats.ts';

const NO_BOUND = String(2 ** 40);
const GOALS_PER_STATE = 160;
const HEAP_TARGET_MB = 10;

interface SlowResult {
  heapGrowthMb: number;
  rssGrowthMb: number;
  closed: number;
  stateKb: number;
  delivered: number;
}

export async function slowClients(context: BenchContext): Promise<Figures> {
  const states = context.quick ? 300 : 1_000;
  const bounded = await measure(context, states, undefined);
  const unbounded = await measure(context, states, NO_BOUND);
  const written = `${states} states of ${bounded.stateKb.toFixed(0)} KB`;
  return {
    slow_clients_heap_growth_mb: plainFigure({
      value: bounded.heapGrowthMb,
      baseline: unbounded.heapGrowthMb,
      unit: 'MB',
      target: { op: '<', bound: HEAP_TARGET_MB },
      note: `service heap (with Buffers) growth with a paused WebSocket and a paused SSE client while ${written} are written; baseline: the same without a reachable MAX_UNSENT_BYTES`,
    }),
    slow_clients_rss_growth_mb: plainFigure({
      value: bounded.rssGrowthMb,
      baseline: unbounded.rssGrowthMb,
      unit: 'MB',
      note: 'the same, as RSS',
    }),
    slow_clients_closed: plainFigure({
      value: bounded.closed,
      baseline: 2,
      unit: 'clients',
      target: { op: '>=', bound: 2 },
      note: `paused clients closed past the default MAX_UNSENT_BYTES; without it: ${unbounded.closed}`,
    }),
    slow_clients_reader_states: plainFigure({
      value: bounded.delivered,
      baseline: states + 1,
      unit: 'states',
      target: { op: '>=', bound: states + 1 },
      note: 'states the reading subscriber received; baseline: states written, with the first',
    }),
  };
}

async function measure(
  context: BenchContext,
  states: number,
  maxUnsentBytes: string | undefined,
): Promise<SlowResult> {
  const label = maxUnsentBytes ? 'no bound' : 'default bound';
  const redis = await startRedis();
  let service: ServiceHandle | undefined;
  let writer: BenchWriter | undefined;
  const paused: PausedClient[] = [];
  let reader: ReturnType<typeof subscribe> | undefined;
  try {
    service = await startService({
      redisUrl: redis.url,
      env: {
        WS_KEEPALIVE_MS: '3600000',
        ...(maxUnsentBytes ? { MAX_UNSENT_BYTES: maxUnsentBytes } : {}),
      },
    });
    writer = new BenchWriter(redis.url, service.kvPrefix);
    let run = await writer.createRun('slow.bench-example.com');
    const target = { ...service, domain: run.domain, runId: run.run_id };
    reader = subscribe({ transport: 'ws', ...service }, ENGAGEMENT_UPDATED, {
      domain: run.domain,
      runId: run.run_id,
    });
    await reader.waitFor(1);
    paused.push(await pausedWebSocketClient(target), await pausedSseClient(target));
    await sleep(500);
    const heapBefore = jsMemory(await service.memory());
    const rssBefore = service.rssMb();

    let stateBytes = 0;
    const started = Date.now();
    for (let i = 0; i < states; i++) {
      run = bigState(run);
      stateBytes = JSON.stringify(run).length;
      await writer.write(run);
      await reader.waitFor(run.version);
    }
    await sleep(1_000);
    const heapAfter = jsMemory(await service.memory());
    const rssAfter = service.rssMb();
    const closed = await closedClients(service);
    const result: SlowResult = {
      heapGrowthMb: (heapAfter - heapBefore) / 2 ** 20,
      rssGrowthMb: rssAfter - rssBefore,
      closed,
      stateKb: stateBytes / 1024,
      delivered: reader.events.length,
    };
    context.log(
      `${label}: ${states} states in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
        `heap +${result.heapGrowthMb.toFixed(1)} MB, RSS +${result.rssGrowthMb.toFixed(1)} MB, ` +
        `${closed} of 2 paused clients closed, reader got ${result.delivered}`,
    );
    return result;
  } finally {
    for (const client of paused) client.close();
    await reader?.dispose();
    await writer?.close();
    await service?.stop();
    await redis.stop();
  }
}

/** The heap plus what Buffers hold outside it (ws queues frames as either). */
function jsMemory(usage: NodeJS.MemoryUsage): number {
  return usage.heapUsed + usage.external;
}

function bigState(run: RunRecord): RunRecord {
  const version = run.version + 1;
  const goals = Array.from({ length: GOALS_PER_STATE }, (_, i) => ({
    text: `State ${version}, goal ${i}: ${'x'.repeat(600)}`,
    meeting_ids: ['1'],
  }));
  const summary: SummaryRecord = {
    meetings_count: 1,
    meetings: [],
    people: [],
    goals,
    challenges: [],
  };
  return { ...run, version, summary, updated_at: new Date().toISOString() };
}

async function closedClients(service: ServiceHandle): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('engagement_slow_clients_closed_total{'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}
