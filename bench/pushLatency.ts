/**
 * 1. Push latency over WebSocket, SSE and multipart HTTP with 1, 100 and 1,000 subscribers
 * on one run, each read by its real client library in client processes apart from the
 * service: graphql-ws, graphql-sse (distinct connections mode) and Apollo Client with only
 * its HttpLink (multipart HTTP). An event is stamped when the library hands it to the app.
 *
 * Both sides are timed over the same interval: from the moment the harness sends the
 * PUBLISH to the moment a subscriber has the message, on the machine's one monotonic clock.
 * Ours: the harness writes a state through the service's own store (writeRun.lua: record
 * write, indexes and PUBLISH in one EVALSHA), stamped just before the store serialises and
 * sends it; it ends when the GraphQL event arrives in the client process. Baseline at each
 * N: N plain ioredis subscriber connections on one channel, spread over the same client
 * processes, sent records of the same size, stamped just before serialising and sending the
 * PUBLISH; it ends at each subscriber's callback. States are written 50 ms apart (20 ms at
 * N = 1, 150 ms at N = 1,000). Each client process also holds one raw subscriber on the run's channel: the time
 * from it to the GraphQL event is reported too (`push_p99_after_redis_ms_*`, what the
 * service adds after Redis delivered), but it is not the headline.
 *
 * At N = 1,000 two more groups read SSE and multipart with minimal node:http readers instead
 * of the libraries (`push_p99_ratio_sse_reader_1000`, `..._multipart_reader_1000`): a
 * diagnostic that isolates the server's cost from the libraries', never a headline figure.
 *
 * At each N the groups (raw, WebSocket, SSE, multipart, and the readers) are connected at
 * once and their writes take turns, so that a slow moment of this shared machine hits all of
 * them alike.
 */
import { randomUUID } from 'node:crypto';
import type { RunRecord } from '../src/model/runRecord.ts';
import { advance, newRun } from '../src/model/runTransitions.ts';
import { cpuSeconds, rssMb } from '../support/processStats.ts';
import type { StreamReader, SubscriberClient, Transport } from './harness/clients/graphql.ts';
import type { CollectResult, OpenGraphqlParams, OpenResult } from './harness/clients/push.ts';
import type { BenchContext } from './harness/context.ts';
import { type Figures, plainFigure, ratioFigure } from './harness/figures.ts';
import type { BenchWriter } from './harness/redis.ts';
import type { ServiceHandle } from './harness/service.ts';
import { withServiceAndWriter } from './harness/serviceWithWriter.ts';
import { nowMs, type Summary, sleep, summarize } from './harness/stats.ts';
import { type ClientPool, shares, startClientWorkers } from './harness/workers.ts';

const SUBSCRIBER_COUNTS = [1, 100, 1000] as const;
const WARMUP_WRITES = 10;
/** The headline groups: each transport read by its client library. */
const TRANSPORTS: Transport[] = ['ws', 'sse', 'multipart'];
/** The diagnostic groups, at N = 1,000 only: the HTTP transports read by minimal readers. */
const READERS: StreamReader[] = ['sse_reader', 'multipart_reader'];
type Group = 'raw' | SubscriberClient;

function clientsAt(n: number): SubscriberClient[] {
  return n >= 1000 ? [...TRANSPORTS, ...READERS] : TRANSPORTS;
}

/**
 * Client processes per N. The client libraries cost 35-70 µs of CPU per event (the `clients`
 * benchmark): at N = 1,000, 125 subscribers of a group per process keep one process's share
 * of a write to ~9 ms of its event loop. Every group, the raw one included, is spread over
 * the same processes.
 */
function processesFor(n: number): number {
  return n === 1 ? 1 : n <= 100 ? 4 : 8;
}

/**
 * Measured writes per group, and the pause between two writes (of any group). At N = 1 each
 * write yields one sample, so there are more of them, closer together, for a p99 that is not
 * just the worst two. A write's samples arrive together, so one write slowed by the machine
 * moves all of its N samples: at N = 100, 300 writes keep the p99 from being the worst
 * write's alone (with 100, one 20 ms stall of the shared machine was the p99). At 1,000
 * each write yields 1,000 samples spread over the whole fan-out.
 */
function writesFor(n: number, quick: boolean): { writes: number; spacingMs: number } {
  const writes = n === 1 ? 500 : n <= 100 ? 300 : 50;
  return { writes: quick ? Math.ceil(writes / 2) : writes, spacingMs: spacingFor(n) };
}

/**
 * The pause between two writes (of any group): longer than a write's fan-out takes, so that
 * the next group's write does not land while the last one's subscribers are still busy. At
 * N = 1,000 a fan-out to the library clients takes 70 ms or more of client CPU alone.
 */
function spacingFor(n: number): number {
  return n === 1 ? 20 : n <= 100 ? 50 : 150;
}

const READER_NOTE =
  "diagnostic: a minimal node:http reader in place of the client library, isolating the server's cost; not the headline";

/** The client processes while the writes went out. */
interface ClientUsage {
  /** The largest share of one core a client process used (CPU seconds / wall seconds). */
  busiestCpuShare: number;
  /** How late the event loop ran in the worst client process: p99 and max, in ms. */
  worstLoopDelayP99Ms: number;
  worstLoopDelayMaxMs: number;
  largestRssMb: number;
}

interface CaseResult {
  /** From the PUBLISH sent to the subscriber having it (the same interval on every side). */
  latency: Summary;
  /** GraphQL only: from a raw subscriber in the same process having it to the event. */
  afterRedis: Summary;
  missing: number;
  opened: number;
}

/** One group's target: a run written through the store, or a raw channel published to. */
interface Writer {
  group: Group;
  /** Writes the next state; returns its version and when its PUBLISH was sent (nowMs). */
  next(index: number): Promise<{ version: number; sentAt: number }>;
  /** Ends the run (its terminal state completes every subscription). */
  finish?: () => Promise<void>;
  reference: Record<number, number>;
  versions: number[];
  last: number;
}

export async function pushLatency(context: BenchContext): Promise<Figures> {
  const figures: Figures = {};
  await withServiceAndWriter(async ({ redisUrl, service, writer }) => {
    for (const n of SUBSCRIBER_COUNTS) {
      const pool = await startClientWorkers(processesFor(n), `push-${n}`);
      try {
        const { results, clients } = await measureAtN(
          pool,
          service,
          writer,
          redisUrl,
          n,
          context.quick,
        );
        const raw = results.raw;
        context.log(
          `N=${n} client processes (${pool.size}) while writing: busiest ${(clients.busiestCpuShare * 100).toFixed(0)}% ` +
            `of one core, event loop late by up to ${clients.worstLoopDelayP99Ms.toFixed(1)} ms at p99 ` +
            `(max ${clients.worstLoopDelayMaxMs.toFixed(1)} ms); largest RSS ${clients.largestRssMb.toFixed(0)} MB`,
        );
        context.log(`N=${n} raw redis: ${describe(raw)}`);
        for (const client of clientsAt(n)) {
          const result = results[client];
          context.log(`N=${n} ${client}: ${describe(result)}`);
          const missingNote =
            result.missing > 0 || result.opened < n
              ? `${result.opened}/${n} subscribed, ${result.missing} events missing`
              : undefined;
          const diagnostic = (READERS as SubscriberClient[]).includes(client);
          const notes = [diagnostic ? READER_NOTE : undefined, missingNote].filter(Boolean);
          figures[`push_p99_ratio_${client}_${n}`] = ratioFigure({
            measured: result.latency.p99,
            baseline: raw.latency.p99,
            unit: 'ms',
            // A reader isolates the server's cost: a diagnostic, with no target of its own.
            ...(diagnostic ? {} : { target: { op: '<=', bound: 3 } }),
            note: notes.length > 0 ? notes.join('; ') : undefined,
          });
          figures[`push_p50_ms_${client}_${n}`] = plainFigure({
            value: result.latency.p50,
            baseline: raw.latency.p50,
            unit: 'ms',
          });
          figures[`push_p99_after_redis_ms_${client}_${n}`] = plainFigure({
            value: result.afterRedis.p99,
            baseline: raw.latency.p99,
            unit: 'ms',
            note: 'from a raw subscriber in the client process receiving the PUBLISH to the GraphQL event; baseline: PUBLISH sent to raw callback',
          });
        }
      } finally {
        await pool.all('push.close', () => ({}));
        await pool.stop();
      }
    }
  });
  return figures;
}

async function measureAtN(
  pool: ClientPool,
  service: ServiceHandle,
  writer: BenchWriter,
  redisUrl: string,
  n: number,
  quick: boolean,
): Promise<{ results: Record<Group, CaseResult>; clients: ClientUsage }> {
  const counts = shares(n, pool.size);
  const opened: Partial<Record<Group, OpenResult[]>> = {};
  const writers: Writer[] = [];

  // The baseline: N plain subscribers on a channel of its own, sent messages of the same
  // size and shape as the run's records.
  const rawChannel = writer.keys.scoped(`bench-raw-fanout:${n}`);
  opened.raw = await pool.all<OpenResult>('push.openRaw', (i) => ({
    group: 'raw',
    count: counts[i],
    redisUrl,
    channel: rawChannel,
  }));
  let template: RunRecord = newRun(`raw-${n}.bench-example.com`, randomUUID(), new Date(), 1);
  writers.push(
    newWriter('raw', async (index) => {
      template = advance(
        template,
        { stage: 'fetching_meetings', meetingsFound: index },
        new Date(),
      );
      // Stamped before serialising, as the store's write is: the two intervals match.
      const sentAt = nowMs();
      await writer.redis.publish(rawChannel, JSON.stringify(template));
      return { version: template.version, sentAt };
    }),
  );

  for (const client of clientsAt(n)) {
    let run = await writer.createRun(`${client.replace('_', '-')}-${n}.bench-example.com`);
    const results = await pool.all<OpenResult>(
      'push.openGraphql',
      (i): OpenGraphqlParams => ({
        group: client,
        client,
        count: counts[i] ?? 0,
        concurrency: 50,
        graphqlUrl: service.graphqlUrl,
        wsUrl: service.wsUrl,
        redisUrl,
        channel: writer.channel(run),
        domain: run.domain,
        runId: run.run_id,
      }),
    );
    const errors = results.flatMap((o) => o.errors);
    if (errors.length > 0) throw new Error(`${client} N=${n}: ${errors[0]}`);
    opened[client] = results;
    writers.push({
      ...newWriter(client, async (index) => {
        run = await writer.progress(run, index);
        return { version: run.version, sentAt: writer.lastWriteSentAt };
      }),
      finish: async () => {
        await writer.complete(run);
      },
    });
  }
  await sleep(500);

  // The groups take turns: raw, ws, sse, multipart(, readers), raw, ... one write every spacingMs.
  const { writes, spacingMs } = writesFor(n, quick);
  const cpuBefore = pool.workers.map((worker) => cpuSeconds(worker.pid));
  await pool.all('push.loopDelayStart');
  const writingStarted = nowMs();
  for (let i = 0; i < WARMUP_WRITES + writes; i++) {
    for (const target of writers) {
      const started = nowMs();
      const { version, sentAt } = await target.next(i);
      target.last = version;
      if (i >= WARMUP_WRITES) {
        target.reference[version] = sentAt;
        target.versions.push(version);
      }
      await sleep(Math.max(0, spacingMs - (nowMs() - started)));
    }
  }

  const writingSeconds = (nowMs() - writingStarted) / 1000;
  const delays = await pool.all<{ p99Ms: number; maxMs: number }>('push.loopDelayStop');
  const clients: ClientUsage = {
    worstLoopDelayP99Ms: Math.max(...delays.map((d) => d.p99Ms)),
    worstLoopDelayMaxMs: Math.max(...delays.map((d) => d.maxMs)),
    busiestCpuShare: Math.max(
      ...pool.workers.map(
        (worker, i) => (cpuSeconds(worker.pid) - (cpuBefore[i] ?? 0)) / writingSeconds,
      ),
    ),
    largestRssMb: Math.max(...pool.workers.map((worker) => rssMb(worker.pid))),
  };

  const results = {} as Record<Group, CaseResult>;
  for (const target of writers) {
    await pool.all('push.waitForVersion', () => ({
      group: target.group,
      version: target.last,
      timeoutMs: 15_000,
    }));
    const collected = await pool.all<CollectResult>('push.collect', () => ({
      group: target.group,
      versions: target.versions,
      reference: target.reference,
      mode: target.group === 'raw' ? 'raw' : 'graphql',
    }));
    results[target.group] = summarizeCase(collected, opened[target.group] ?? []);
  }
  // Streams end as they do in use (the server completes them), before the sockets close.
  for (const target of writers) await target.finish?.();
  await sleep(1_000);
  return { results, clients };
}

function newWriter(group: Group, next: Writer['next']): Writer {
  return { group, next, reference: {}, versions: [], last: 0 };
}

function describe(result: CaseResult): string {
  const { latency } = result;
  return (
    `p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms, max ${latency.max.toFixed(2)} ms ` +
    `over ${latency.count} deliveries (${result.opened} subscribers, ${result.missing} missing)`
  );
}

function summarizeCase(collected: CollectResult[], opened: OpenResult[]): CaseResult {
  return {
    latency: summarize(collected.flatMap((c) => c.fromPublish)),
    afterRedis: summarize(collected.flatMap((c) => c.afterRawSubscriber)),
    missing: collected.reduce((sum, c) => sum + c.missing + c.missingRaw, 0),
    opened: opened.reduce((sum, o) => sum + o.opened, 0),
  };
}
