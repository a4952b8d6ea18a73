/**
 * 5. Throughput: `engagementStatus` requests/s against a bare graphql-yoga `{ hello }`
 * server on node:http, with the same closed-loop load generator (50 keep-alive connections)
 * in a client process, one server under load at a time. The polled run is in progress (a
 * stored record of version 2) and the query selects every field. The REST polling route is
 * measured alongside, for reference.
 *
 * This machine is shared and its speed drifts, so the targets take turns in short slices
 * (A B C, then C B A, ...), ~10 s each in all, and each rate is its total requests over its
 * total measured time: whatever slows the machine down slows all of them alike.
 */

import { cpuSeconds } from '../support/processStats.ts';
import { STATUS_QUERY } from './harness/clients/graphql.ts';
import type { LoadResult } from './harness/clients/load.ts';
import type { BenchContext } from './harness/context.ts';
import { type Figures, plainFigure, ratioFigure } from './harness/figures.ts';
import { type ChildHandle, minimalEnv, spawnChild } from './harness/processes.ts';
import { BenchWriter, startRedis } from './harness/redis.ts';
import { type ServiceHandle, startService } from './harness/service.ts';
import { summarize } from './harness/stats.ts';
import { type ClientPool, startClientWorkers } from './harness/workers.ts';

const CONNECTIONS = 50;
const SLICE_MS = 2_000;

interface Target {
  name: string;
  pid: number;
  load: { url: string; method?: 'GET' | 'POST'; body?: string };
}

interface Measured {
  rps: number;
  requests: number;
  /** Requests/s of each slice, to show the spread. */
  sliceRps: number[];
  p50Ms: number;
  p99Ms: number;
  cpuMsPerRequest: number;
  bytesPerResponse: number;
}

export async function throughput(context: BenchContext): Promise<Figures> {
  const slices = context.quick ? 3 : 5;
  const redis = await startRedis();
  let service: ServiceHandle | undefined;
  let writer: BenchWriter | undefined;
  let hello: ChildHandle | undefined;
  let pool: ClientPool | undefined;
  try {
    service = await startService({ redisUrl: redis.url });
    writer = new BenchWriter(redis.url, service.kvPrefix);
    hello = await spawnChild(new URL('./harness/helloServer.ts', import.meta.url), {
      name: 'hello',
      env: minimalEnv(),
    });
    pool = await startClientWorkers(1, 'load');
    const loader = pool.workers[0] as ChildHandle;
    const run = await writer.progress(await writer.createRun('status.bench-example.com'), 0);

    const targets: Target[] = [
      {
        name: 'hello',
        pid: hello.pid,
        load: {
          url: `${(hello.info as { url: string }).url}/graphql`,
          body: JSON.stringify({ query: '{ hello }' }),
        },
      },
      {
        name: 'engagementStatus',
        pid: service.pid,
        load: {
          url: service.graphqlUrl,
          body: JSON.stringify({
            query: STATUS_QUERY,
            variables: { domain: run.domain, runId: run.run_id },
          }),
        },
      },
      {
        name: 'REST engagement-status',
        pid: service.pid,
        load: {
          url: `${service.url}/make-server-888f4514/engagement-status?domain=${run.domain}&run_id=${run.run_id}`,
          method: 'GET',
        },
      },
    ];

    const results = new Map<string, Array<LoadResult & { cpu: number; ms: number }>>();
    const slice = async (target: Target, durationMs: number, warmupMs: number) => {
      const before = cpuSeconds(target.pid);
      const result = await loader.call<LoadResult>('load.run', {
        ...target.load,
        connections: CONNECTIONS,
        warmupMs,
        durationMs,
      });
      if (result.non2xx > 0 || result.errors > 0) {
        throw new Error(`${target.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      }
      return { ...result, cpu: cpuSeconds(target.pid) - before, ms: durationMs };
    };
    // Warm-up: every target once, unmeasured.
    for (const target of targets) await slice(target, 2_000, 500);
    for (let round = 0; round < slices; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        const list = results.get(target.name) ?? [];
        list.push(await slice(target, SLICE_MS, 300));
        results.set(target.name, list);
      }
    }

    const measured = (name: string): Measured => {
      const list = results.get(name) ?? [];
      const requests = list.reduce((sum, r) => sum + r.requests, 0);
      const seconds = list.reduce((sum, r) => sum + r.ms, 0) / 1000;
      return {
        rps: requests / seconds,
        requests,
        sliceRps: list.map((r) => r.rps),
        // Per-slice percentiles; the median slice's, to keep one noisy slice out.
        p50Ms: summarize(list.map((r) => r.p50Ms)).p50,
        p99Ms: summarize(list.map((r) => r.p99Ms)).p50,
        cpuMsPerRequest: (list.reduce((sum, r) => sum + r.cpu, 0) * 1000) / requests,
        bytesPerResponse: list.reduce((sum, r) => sum + r.bytesPerResponse, 0) / list.length,
      };
    };
    const [helloResult, status, rest] = targets.map((t) => measured(t.name)) as [
      Measured,
      Measured,
      Measured,
    ];
    for (const target of targets) context.log(describe(target.name, measured(target.name)));
    const sliceRatios = status.sliceRps.map((rps, i) => rps / (helloResult.sliceRps[i] ?? rps));
    const spread = summarize(sliceRatios);

    return {
      status_vs_hello_rps_ratio: ratioFigure({
        measured: status.rps,
        baseline: helloResult.rps,
        unit: 'req/s',
        target: { op: '>=', bound: 0.7 },
        note:
          `${CONNECTIONS} keep-alive connections, ${slices} interleaved slices of ${SLICE_MS / 1000} s each; ` +
          `all fields of an in-progress run; slice ratios ${spread.p50.toFixed(2)} median, ` +
          `${sliceRatios.length > 0 ? Math.min(...sliceRatios).toFixed(2) : 'n/a'}-${spread.max.toFixed(2)}`,
      }),
      status_p99_ms: plainFigure({
        value: status.p99Ms,
        baseline: helloResult.p99Ms,
        unit: 'ms',
        note: 'latency under that load (median over slices); baseline: hello',
      }),
      status_cpu_ms_per_request: plainFigure({
        value: status.cpuMsPerRequest,
        baseline: helloResult.cpuMsPerRequest,
        unit: 'ms',
        note: 'server CPU per request from /proc; baseline: hello',
      }),
      rest_status_vs_hello_rps_ratio: ratioFigure({
        measured: rest.rps,
        baseline: helloResult.rps,
        unit: 'req/s',
        note: 'the old polling route (GET engagement-status), for reference',
      }),
    };
  } finally {
    await pool?.stop();
    await hello?.stop();
    await writer?.close();
    await service?.stop();
    await redis.stop();
  }
}

function describe(name: string, m: Measured): string {
  return (
    `${name}: ${m.rps.toFixed(0)} req/s (slices ${m.sliceRps.map((r) => r.toFixed(0)).join(' ')}), ` +
    `p50 ${m.p50Ms.toFixed(2)} ms, p99 ${m.p99Ms.toFixed(2)} ms, ` +
    `${m.cpuMsPerRequest.toFixed(3)} CPU ms/req, ${m.bytesPerResponse.toFixed(0)} B/response`
  );
}
