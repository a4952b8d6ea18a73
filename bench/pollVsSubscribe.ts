/**
 * 2. Subscriptions vs polling: 1,000 concurrent runs of 30 s (scripted pipeline), watched
 * either by clients polling `engagementStatus` every 2 s over keep-alive HTTP, or by one
 * WebSocket subscription per run.
 *
 * Each side gets a fresh deployment: the service with RUN_WORKER=false, and a run worker
 * process (`npm run worker` with the scripted pipeline) that executes the runs, so the
 * pipeline's own CPU stays out of the service process measured. A third side with nobody
 * watching measures what starting the runs costs the service, and is subtracted from both.
 * Every service is warmed up alike (polls and subscriptions) before its window. CPU =
 * utime + stime of the service process from /proc over the same fixed window. "Knowing" is
 * measured from the moment a raw Redis pattern subscriber in the client process sees the
 * terminal write.
 */
import type { WatchMode, WatchResult } from './harness/clients/watch.ts';
import type { BenchContext } from './harness/context.ts';
import { type Figures, plainFigure, ratioFigure } from './harness/figures.ts';
import { cpuSeconds, cpuTimes } from './harness/proc.ts';
import { startRedis } from './harness/redis.ts';
import { freshPrefix, startRunWorker, startService } from './harness/service.ts';
import { nowMs, type Summary, sleep, summarize } from './harness/stats.ts';
import { shares, startClientWorkers } from './harness/workers.ts';

const CLIENT_PROCESSES = 2;
const POLL_INTERVAL_MS = 2_000;
const START_SPREAD_MS = 5_000;
/** Polls and subscriptions each fresh service serves before its window, on every side. */
const WARM_UP_CYCLES = 500;

interface SideResult {
  /** The service process; the runs themselves are executed by a worker process. */
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
  const sides: Partial<Record<WatchMode, SideResult>> = {};
  try {
    for (const mode of ['none', 'poll', 'subscribe'] as const) {
      sides[mode] = await measureSide(context, mode, redis.url, runs, runMs);
      const side = sides[mode];
      context.log(
        `${mode}: service ${side.cpuSeconds.toFixed(2)} CPU s (${side.systemSeconds.toFixed(2)} system), ` +
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
  mode: WatchMode,
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
  const pool = await startClientWorkers(CLIENT_PROCESSES, `watch-${mode}`);
  try {
    await pool.workers[0]?.call('watch.warmUp', {
      graphqlUrl: service.graphqlUrl,
      wsUrl: service.wsUrl,
      cycles: WARM_UP_CYCLES,
    });
    await sleep(1_000);
    const counts = shares(runs, pool.size);
    const windowMs = START_SPREAD_MS + runMs + POLL_INTERVAL_MS + 5_000;
    context.log(`${mode}: ${runs} runs, measuring ${(windowMs / 1000).toFixed(0)} s`);
    const cpuBefore = cpuTimes(service.pid);
    const workerBefore = cpuSeconds(worker.pid);
    const started = nowMs();
    const results = await pool.all<WatchResult>('watch.run', (i) => ({
      mode,
      runs: counts[i],
      worker: i,
      graphqlUrl: service.graphqlUrl,
      wsUrl: service.wsUrl,
      redisUrl,
      kvPrefix: service.kvPrefix,
      startSpreadMs: START_SPREAD_MS,
      pollIntervalMs: POLL_INTERVAL_MS,
      timeoutMs: windowMs + 60_000,
    }));
    // The same fixed window for every side; a side that took longer is measured to its end.
    await sleep(Math.max(0, windowMs - (nowMs() - started)));
    const cpuAfter = cpuTimes(service.pid);
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
    await worker.stop();
    await service.stop();
  }
}

function sum(values: number[]): number {
  return values.reduce((total, x) => total + x, 0);
}
