/**
 * 2. Subscriptions vs polling: 1,000 concurrent runs of 30 s (scripted pipeline), each watched
 * by a front end of its own, either polling `engagementStatus` every 2 s over its keep-alive
 * connection, or subscribed over its WebSocket.
 *
 * Each side gets a fresh deployment: the service with RUN_WORKER=false, and a run worker
 * process (`npm run worker` with the scripted pipeline) that executes the runs, so the
 * pipeline's own CPU stays out of the service process measured. A side with nobody
 * watching measures what starting the runs costs the service, and is subtracted from both.
 * Every server is warmed up alike (polls and subscriptions) before its window. CPU =
 * utime + stime of the server process from /proc over the same fixed window. "Knowing" is
 * measured from the moment a raw Redis pattern subscriber in the client process sees the
 * terminal write.
 *
 * Two more sides measure the floor: the same clients watching the same runs through a
 * server that does nothing but move the records (harness/floorServer.ts: no GraphQL, no
 * validation, no auth), so that the service's cost can be read as a multiple of what the
 * transport, Redis and the kernel cost anyway.
 */

import { cpuSeconds, cpuTimes } from '../support/processStats.ts';
import type { WatchMode, WatchResult } from './harness/clients/watch.ts';
import type { BenchContext } from './harness/context.ts';
import { type Figures, plainFigure, ratioFigure } from './harness/figures.ts';
import { startRedis } from './harness/redis.ts';
import { freshPrefix, startFloorServer, startRunWorker, startService } from './harness/service.ts';
import { nowMs, type Summary, sleep, summarize } from './harness/stats.ts';
import { shares, startClientWorkers } from './harness/workers.ts';

const CLIENT_PROCESSES = 2;
const POLL_INTERVAL_MS = 2_000;
const START_SPREAD_MS = 5_000;
/** Polls and subscriptions each fresh service serves before its window, on every side. */
const WARM_UP_CYCLES = 500;

/** Runs per front end on the multiplexed sides. */
const RUNS_PER_SHARED_FRONT_END = 10;

/** Who watches the runs, over how many connections, and through which server. */
type Side =
  | WatchMode
  | 'floor-poll'
  | 'floor-subscribe'
  | 'poll-multiplexed'
  | 'subscribe-multiplexed';

interface SideSpec {
  side: Side;
  mode: WatchMode;
  /** Watched through the floor server instead of the service. */
  floor: boolean;
  runsPerFrontEnd: number;
}

const SIDES: readonly SideSpec[] = [
  { side: 'none', mode: 'none', floor: false, runsPerFrontEnd: 1 },
  { side: 'poll', mode: 'poll', floor: false, runsPerFrontEnd: 1 },
  { side: 'subscribe', mode: 'subscribe', floor: false, runsPerFrontEnd: 1 },
  { side: 'floor-poll', mode: 'poll', floor: true, runsPerFrontEnd: 1 },
  { side: 'floor-subscribe', mode: 'subscribe', floor: true, runsPerFrontEnd: 1 },
  {
    side: 'poll-multiplexed',
    mode: 'poll',
    floor: false,
    runsPerFrontEnd: RUNS_PER_SHARED_FRONT_END,
  },
  {
    side: 'subscribe-multiplexed',
    mode: 'subscribe',
    floor: false,
    runsPerFrontEnd: RUNS_PER_SHARED_FRONT_END,
  },
];

interface SideResult {
  /** The server measured (the service, or the floor server); the runs execute elsewhere. */
  cpuSeconds: number;
  /** The run worker's CPU (the pipeline's own cost), for reference. */
  workerSeconds: number;
  /** The part of cpuSeconds spent in the kernel (sockets). */
  systemSeconds: number;
  windowSeconds: number;
  started: number;
  known: number;
  requests: number;
  bytes: number;
  messages: number;
  know: Summary;
  errors: string[];
}

export async function pollVsSubscribe(context: BenchContext): Promise<Figures> {
  const runs = context.quick ? 500 : 1000;
  const runMs = context.quick ? 20_000 : 30_000;
  const redis = await startRedis();
  const sides: Partial<Record<Side, SideResult>> = {};
  try {
    for (const spec of SIDES) {
      const name = spec.side;
      const side = await measureSide(context, spec, redis.url, runs, runMs);
      sides[name] = side;
      context.log(
        `${name}: ${spec.floor ? 'floor server' : 'service'} ${side.cpuSeconds.toFixed(2)} CPU s (${side.systemSeconds.toFixed(2)} system), ` +
          `run worker ${side.workerSeconds.toFixed(2)} CPU s, over ${side.windowSeconds.toFixed(1)} s, ` +
          `${side.known}/${runs} ended, ${side.requests} watching requests, ${(side.bytes / 1e6).toFixed(2)} MB` +
          (side.know.count > 0
            ? `, knew after p50 ${side.know.p50.toFixed(1)} ms p99 ${side.know.p99.toFixed(1)} ms`
            : '') +
          (side.errors.length > 0 ? `; errors: ${side.errors.slice(0, 3).join(' | ')}` : ''),
      );
    }
  } finally {
    await redis.stop();
  }
  const none = sides.none as SideResult;
  const poll = sides.poll as SideResult;
  const sub = sides.subscribe as SideResult;
  const floorPoll = sides['floor-poll'] as SideResult;
  const floorSub = sides['floor-subscribe'] as SideResult;
  const pollShared = sides['poll-multiplexed'] as SideResult;
  const subShared = sides['subscribe-multiplexed'] as SideResult;
  const pollNet = poll.cpuSeconds - none.cpuSeconds;
  const subNet = sub.cpuSeconds - none.cpuSeconds;
  const shape = `${runs} runs of ${runMs / 1000} s`;
  const incomplete =
    poll.known < runs || sub.known < runs
      ? `; known: polling ${poll.known}/${runs}, subscribed ${sub.known}/${runs}`
      : '';
  return {
    poll_vs_sub_cpu_ratio: ratioFigure({
      // Clamped at 0: when watching by subscription costs less than the noise of the
      // reference run, the net figure would go negative.
      measured: Math.max(0, subNet),
      baseline: pollNet,
      unit: 'CPU s',
      target: { op: '<=', bound: 0.1 },
      note:
        `${shape}; service process, net of the same runs watched by nobody (${none.cpuSeconds.toFixed(2)} CPU s: ` +
        `the start mutations; the runs execute in a separate worker process); ` +
        `gross: subscribed ${sub.cpuSeconds.toFixed(2)}, polling ${poll.cpuSeconds.toFixed(2)}${incomplete}`,
    }),
    poll_vs_sub_cpu_gross_ratio: ratioFigure({
      measured: sub.cpuSeconds,
      baseline: poll.cpuSeconds,
      unit: 'CPU s',
      note: 'service process, start mutations included',
    }),
    poll_vs_sub_request_ratio: ratioFigure({
      measured: sub.requests,
      baseline: poll.requests,
      unit: 'requests',
      target: { op: '<=', bound: 0.1 },
      note: `watching requests (subscribe operations vs polls); each side also sent ${runs} start mutations`,
    }),
    poll_vs_sub_bytes_ratio: ratioFigure({
      measured: sub.bytes,
      baseline: poll.bytes,
      unit: 'bytes',
      note: 'bytes on the wire, both directions, of the watching connections',
    }),
    notify_median_speedup: ratioFigure({
      measured: sub.know.p50,
      baseline: poll.know.p50,
      unit: 'ms',
      inverse: true,
      target: { op: '>=', bound: 50 },
      note: 'polling median / subscription median, terminal write -> client knows',
    }),
    poll_vs_sub_cpu_ratio_multiplexed: ratioFigure({
      measured: Math.max(0, subShared.cpuSeconds - none.cpuSeconds),
      baseline: pollShared.cpuSeconds - none.cpuSeconds,
      unit: 'CPU s',
      note:
        `the same, with each front end watching ${RUNS_PER_SHARED_FRONT_END} runs over its one ` +
        'connection (its WebSocket carries all its subscriptions; its keep-alive connection all its polls)',
    }),
    sub_vs_floor_cpu_ratio: ratioFigure({
      measured: Math.max(0, subNet),
      baseline: floorSub.cpuSeconds,
      unit: 'CPU s',
      note: 'subscribed: the service (net) / the floor server, same clients and runs',
    }),
    poll_vs_floor_cpu_ratio: ratioFigure({
      measured: pollNet,
      baseline: floorPoll.cpuSeconds,
      unit: 'CPU s',
      note: 'polling: the service (net) / the floor server, same clients and runs',
    }),
    floor_sub_vs_poll_cpu_ratio: ratioFigure({
      measured: floorSub.cpuSeconds,
      baseline: pollNet,
      unit: 'CPU s',
      note:
        'the floor server subscribed / the service polling: the headline CPU ratio a push ' +
        `server with no cost of its own would score; floor subscribed / floor polling: ${(floorSub.cpuSeconds / floorPoll.cpuSeconds).toFixed(3)}`,
    }),
    notify_p99_ms_subscribed: plainFigure({
      value: sub.know.p99,
      baseline: poll.know.p99,
      unit: 'ms',
      note: 'p99 time to know; baseline: polling',
    }),
  };
}

async function measureSide(
  context: BenchContext,
  { side, mode, floor, runsPerFrontEnd }: SideSpec,
  redisUrl: string,
  runs: number,
  runMs: number,
): Promise<SideResult> {
  // The runs are executed by a worker process of the same deployment, so that the service
  // process measured does only what serving clients takes: start mutations and watching.
  const kvPrefix = freshPrefix();
  const runEnv = {
    KV_PREFIX: kvPrefix,
    RUN_CONCURRENCY: String(runs + 100),
    RUN_TIMEOUT_MS: String(runMs * 4),
  };
  const service = await startService({ redisUrl, env: { ...runEnv, RUN_WORKER: 'false' } });
  const worker = await startRunWorker({ redisUrl, kvPrefix, runMs, env: runEnv });
  // On a floor side the service only takes the start mutations; the floor server, measured
  // instead, takes the polls or the subscriptions.
  const floorServer = floor ? await startFloorServer({ redisUrl, kvPrefix }) : null;
  const measuredPid = floorServer?.pid ?? service.pid;
  const pollUrl = floorServer ? `${floorServer.url}/graphql` : service.graphqlUrl;
  const wsUrl = floorServer ? `${floorServer.url.replace(/^http/, 'ws')}/graphql` : service.wsUrl;
  const pool = await startClientWorkers(CLIENT_PROCESSES, `watch-${side}`);
  try {
    await pool.workers[0]?.call('watch.warmUp', {
      graphqlUrl: service.graphqlUrl,
      pollUrl,
      wsUrl,
      cycles: WARM_UP_CYCLES,
    });
    await sleep(1_000);
    const counts = shares(runs, pool.size);
    const windowMs = START_SPREAD_MS + runMs + POLL_INTERVAL_MS + 5_000;
    context.log(`${side}: ${runs} runs, measuring ${(windowMs / 1000).toFixed(0)} s`);
    const cpuBefore = cpuTimes(measuredPid);
    const workerBefore = cpuSeconds(worker.pid);
    const started = nowMs();
    const results = await pool.all<WatchResult>('watch.run', (i) => ({
      mode,
      runs: counts[i],
      worker: i,
      graphqlUrl: service.graphqlUrl,
      pollUrl,
      wsUrl,
      redisUrl,
      kvPrefix: service.kvPrefix,
      startSpreadMs: START_SPREAD_MS,
      pollIntervalMs: POLL_INTERVAL_MS,
      runsPerFrontEnd,
      timeoutMs: windowMs + 60_000,
    }));
    // The same fixed window for every side; a side that took longer is measured to its end.
    await sleep(Math.max(0, windowMs - (nowMs() - started)));
    const cpuAfter = cpuTimes(measuredPid);
    return {
      workerSeconds: cpuSeconds(worker.pid) - workerBefore,
      cpuSeconds: cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system,
      systemSeconds: cpuAfter.system - cpuBefore.system,
      windowSeconds: (nowMs() - started) / 1000,
      started: sum(results.map((r) => r.started)),
      known: sum(results.map((r) => r.known)),
      requests: sum(results.map((r) => r.requests)),
      bytes: sum(results.map((r) => r.bytes)),
      messages: sum(results.map((r) => r.messages)),
      know: summarize(results.flatMap((r) => r.knowMs)),
      errors: results.flatMap((r) => r.errors),
    };
  } finally {
    await pool.stop();
    await floorServer?.stop();
    await worker.stop();
    await service.stop();
  }
}

function sum(values: number[]): number {
  return values.reduce((total, x) => total + x, 0);
}
