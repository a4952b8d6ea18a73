/**
 * 3. Memory as users run the service: `npm start` itself (its build, then `node
 * dist/main.js`), with Redis, auth on, and the real pipeline (the Fathom client against the
 * loopback fake Fathom, the OpenAI summariser against the fake OpenAI, both fakes in a
 * process of their own). Memory is the sum of VmRSS over the process tree npm starts, less
 * the npm launcher; each part is reported. No GC is forced (users' processes are not run
 * with --expose-gc): each figure is read once the tree has settled (five one-second samples
 * within 1 MB).
 *
 * - After one run through the pipeline. Baseline: a bare node process holding an HTTP
 *   server, measured in the same run.
 * - With 10,000 WebSocket subscriptions to one run on that same tree (clients in four
 *   processes, with the token), then one write and how many received it. Baseline: the
 *   tree before them; per subscription, the floor server (no GraphQL) holding as many.
 */
import { spawn } from 'node:child_process';
import { rssMb } from '../support/processStats.ts';
import type { CollectResult, OpenGraphqlParams, OpenResult } from './harness/clients/push.ts';
import type { BenchContext } from './harness/context.ts';
import type { FakeUpstreams } from './harness/fakeUpstreams.ts';
import { type Figures, plainFigure, ratioFigure } from './harness/figures.ts';
import {
  type NpmStartHandle,
  settledRss,
  startNpmService,
  type TreePart,
} from './harness/npmStart.ts';
import { type ChildHandle, minimalEnv, spawnChild } from './harness/processes.ts';
import { BenchWriter, startRedis } from './harness/redis.ts';
import { freshPrefix, startFloorServer } from './harness/service.ts';
import { runThroughService } from './harness/serviceRuns.ts';
import { type Summary, sleep, summarize } from './harness/stats.ts';
import { type ClientPool, shares, startClientWorkers } from './harness/workers.ts';

const CLIENT_PROCESSES = 4;
const AFTER_RUN_TARGET_MB = 130;
const SUBSCRIPTIONS_TARGET_MB = 200;
const TOKEN = 'bench-static-token';

interface SubscriptionsResult {
  subscribed: number;
  delivered: number;
  rssBefore: number;
  rssAfter: number;
  fanout: Summary;
}

export async function subscriptionScale(context: BenchContext): Promise<Figures> {
  const total = context.quick ? 5_000 : 10_000;
  const n = `${total / 1000}k`;
  const redis = await startRedis();
  const kvPrefix = freshPrefix();
  let fakes: ChildHandle | undefined;
  let service: NpmStartHandle | undefined;
  let pool: ClientPool | undefined;
  try {
    fakes = await spawnChild(new URL('./harness/fakeUpstreams.ts', import.meta.url), {
      name: 'fake-upstreams',
    });
    const upstreams = fakes.info as FakeUpstreams;
    const bareMb = await bareHttpServerRss();
    service = await startNpmService({
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      KV_PREFIX: kvPrefix,
      AUTH_TOKENS: TOKEN,
      FATHOM_API_KEY: upstreams.fathomKey,
      FATHOM_BASE_URL: upstreams.fathomBaseUrl,
      OPENAI_API_KEY: upstreams.openaiKey,
      OPENAI_BASE_URL: upstreams.openaiBaseUrl,
      WS_MAX_CONNECTIONS: '20000',
      WS_MAX_CONNECTIONS_PER_CLIENT: '20000',
    });
    const idle = await settledRss(() => (service as NpmStartHandle).rssMb());
    context.log(`npm start tree idle: ${idle.rssMb.toFixed(1)} MB (${describe(service.parts())})`);

    const run = await runThroughService(service.url, upstreams.company, TOKEN);
    const chatRequests = await fakes.call<number>('chatRequests');
    const afterRun = await settledRss(() => (service as NpmStartHandle).rssMb());
    const partsAfterRun = service.parts();
    context.log(
      `one run: ${run.meetingsCount} meetings, ${run.goals} goals, ${chatRequests} LLM requests; ` +
        `tree ${afterRun.rssMb.toFixed(1)} MB after ${(afterRun.afterMs / 1000).toFixed(0)} s ` +
        `(${afterRun.settled ? 'settled' : 'still moving'}; ${describe(partsAfterRun)}); ` +
        `bare node HTTP server ${bareMb.toFixed(1)} MB`,
    );

    pool = await startClientWorkers(CLIENT_PROCESSES, 'scale');
    const ours = await measureSubscriptions(context, pool, {
      total,
      redisUrl: redis.url,
      kvPrefix,
      url: service.url,
      token: TOKEN,
      rss: () => (service as NpmStartHandle).rssMb(),
      label: 'npm start',
    });
    const floor = await startFloorServer({ redisUrl: redis.url, kvPrefix });
    let floorResult: SubscriptionsResult;
    try {
      floorResult = await measureSubscriptions(context, pool, {
        total,
        redisUrl: redis.url,
        kvPrefix,
        url: floor.url,
        rss: () => rssMb(floor.pid),
        label: 'floor server',
      });
    } finally {
      await floor.stop();
    }

    const perSubscriptionKb = (r: SubscriptionsResult) =>
      ((r.rssAfter - r.rssBefore) * 1024) / Math.max(1, r.subscribed);
    return {
      service_rss_after_run_mb: plainFigure({
        value: afterRun.rssMb,
        baseline: bareMb,
        unit: 'MB',
        target: { op: '<=', bound: AFTER_RUN_TARGET_MB },
        note:
          `npm start's tree less the npm launcher (${describe(partsAfterRun)}), after one run ` +
          `through the real pipeline (${run.meetingsCount} meetings, ${chatRequests} LLM ` +
          `requests), settled ${(afterRun.afterMs / 1000).toFixed(0)} s, no forced GC; ` +
          'baseline: a bare node process holding an HTTP server',
      }),
      service_rss_idle_mb: plainFigure({
        value: idle.rssMb,
        baseline: bareMb,
        unit: 'MB',
        note: 'the same tree after start, before any run; baseline: a bare node HTTP server',
      }),
      [`subs_${n}_rss_mb`]: plainFigure({
        value: ours.rssAfter,
        baseline: ours.rssBefore,
        unit: 'MB',
        target: { op: '<=', bound: SUBSCRIPTIONS_TARGET_MB },
        note: `the same npm start tree with ${ours.subscribed} open WebSocket subscriptions; baseline: the tree before them (after the run); settled, no forced GC`,
      }),
      [`subs_${n}_kb_per_subscription`]: plainFigure({
        value: perSubscriptionKb(ours),
        baseline: perSubscriptionKb(floorResult),
        unit: 'KB',
        note: 'RSS growth per subscription; baseline: the same for the floor server (graphql-transport-ws by hand, no GraphQL) with as many',
      }),
      [`subs_${n}_delivered_ratio`]: ratioFigure({
        measured: ours.delivered,
        baseline: total,
        unit: 'subscribers',
        target: { op: '>=', bound: 1 },
      }),
      [`subs_${n}_fanout_p99_ms`]: plainFigure({
        value: ours.fanout.p99,
        baseline: ours.fanout.p50,
        unit: 'ms',
        note: `one write to ${total} subscribers, from its PUBLISH to each client; baseline: the p50; the last after ${ours.fanout.max.toFixed(0)} ms`,
      }),
    };
  } finally {
    await pool?.stop();
    await service?.stop();
    await fakes?.stop();
    await redis.stop();
  }
}

/** `total` subscriptions to one open run, RSS before and after, then one write. */
async function measureSubscriptions(
  context: BenchContext,
  pool: ClientPool,
  options: {
    total: number;
    redisUrl: string;
    kvPrefix: string;
    url: string;
    token?: string;
    rss: () => number;
    label: string;
  },
): Promise<SubscriptionsResult> {
  const writer = new BenchWriter(options.redisUrl, options.kvPrefix);
  const group = `scale-${options.label}`;
  try {
    let run = await writer.createRun(`scale.bench-example.com`);
    const params = (count: number): OpenGraphqlParams => ({
      group,
      client: 'ws',
      count,
      concurrency: 100,
      graphqlUrl: `${options.url}/graphql`,
      wsUrl: `${options.url.replace(/^http/, 'ws')}/graphql`,
      redisUrl: options.redisUrl,
      channel: writer.channel(run),
      domain: run.domain,
      runId: run.run_id,
      ...(options.token ? { token: options.token } : {}),
    });
    // One subscription first, so that "before" holds what any serving process holds once it
    // has served one (compiled code, a Redis subscriber), not only what it holds idle.
    const first = pool.workers[0] as ClientPool['workers'][number];
    const warm = await first.call<OpenResult>('push.openGraphql', params(1));
    if (warm.opened !== 1) throw new Error(`${options.label}: warm-up failed: ${warm.errors[0]}`);
    await first.call('push.close', { group });
    const before = await settledRss(options.rss, { maxMs: 20_000 });

    const counts = shares(options.total, pool.size);
    const opened = await pool.all<OpenResult>('push.openGraphql', (i) => params(counts[i] ?? 0));
    const subscribed = opened.reduce((sum, o) => sum + o.opened, 0);
    const after = await settledRss(options.rss, { maxMs: 20_000 });
    context.log(
      `${options.label}: ${subscribed}/${options.total} subscribed; RSS ` +
        `${before.rssMb.toFixed(1)} -> ${after.rssMb.toFixed(1)} MB` +
        (opened.some((o) => o.failed > 0) ? `; errors: ${opened.flatMap((o) => o.errors)[0]}` : ''),
    );

    run = await writer.progress(run, 1);
    const sentAt = writer.lastWriteSentAt;
    const missing = await pool.all<number>('push.waitForVersion', () => ({
      group,
      version: run.version,
      timeoutMs: 30_000,
    }));
    const collected = await pool.all<CollectResult>('push.collect', () => ({
      group,
      versions: [run.version],
      reference: { [run.version]: sentAt },
      mode: 'graphql',
    }));
    const delivered = subscribed - missing.reduce((sum, m) => sum + m, 0);
    const fanout = summarize(collected.flatMap((c) => c.fromPublish));
    context.log(
      `${options.label}: one write: ${delivered}/${options.total} delivered; p50 ` +
        `${fanout.p50.toFixed(1)} ms, p99 ${fanout.p99.toFixed(1)} ms after its PUBLISH`,
    );
    // The terminal state ends every stream; the clients then close their sockets.
    await writer.complete(run);
    await sleep(1_000);
    await pool.all('push.close', () => ({ group }));
    return { subscribed, delivered, rssBefore: before.rssMb, rssAfter: after.rssMb, fanout };
  } finally {
    await writer.close();
  }
}

/** VmRSS of a plain node process holding an HTTP server that has answered one request. */
async function bareHttpServerRss(): Promise<number> {
  const source = `const s = require('node:http').createServer((q, r) => r.end('ok'));
s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;
  const child = spawn(process.execPath, ['-e', source], {
    env: minimalEnv(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
      child.once('exit', () => reject(new Error('the bare HTTP server exited')));
    });
    await (await fetch(`http://127.0.0.1:${port}/`)).text();
    const settled = await settledRss(() => rssMb(child.pid as number), { maxMs: 10_000 });
    return settled.rssMb;
  } finally {
    child.kill('SIGKILL');
  }
}

function describe(parts: TreePart[]): string {
  return parts.map((p) => `${p.command.slice(0, 48)} ${p.rssMb.toFixed(1)} MB`).join(' + ');
}
