import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { mapLimit, nowMs } from '../stats.ts';
import { type SubscriberClient, watchRun } from './graphql.ts';

/**
 * Client side of the push-latency and subscription-scale benchmarks. For each group, one
 * worker process holds its share of the subscribers of one run plus one raw ioredis
 * subscriber on the run's channel, and stamps (same process clock) when each version reaches
 * the raw subscriber and when it reaches each GraphQL subscriber.
 */

interface Subscriber {
  /** version -> monotonic ms when it arrived */
  seen: Map<number, number>;
}

/**
 * One set of subscribers measured together (the raw baseline, the WebSocket ones, the SSE
 * ones): a worker can hold several at once, so that the harness can interleave their writes.
 */
interface Group {
  subscribers: Subscriber[];
  disposers: Array<() => void>;
  rawConnections: Redis[];
  /** version -> when this group's reference raw subscriber received its publish */
  rawSeen: Map<number, number>;
  errors: string[];
}

const groups = new Map<string, Group>();

function group(name: string): Group {
  let found = groups.get(name);
  if (!found) {
    found = { subscribers: [], disposers: [], rawConnections: [], rawSeen: new Map(), errors: [] };
    groups.set(name, found);
  }
  return found;
}

function versionOf(message: string): number {
  return (JSON.parse(message) as { version: number }).version;
}

async function rawSubscriber(
  into: Group,
  redisUrl: string,
  channel: string,
  seen: Map<number, number>,
) {
  const redis = new Redis(redisUrl, { connectionName: 'bench-raw-subscriber' });
  into.rawConnections.push(redis);
  redis.on('message', (_channel: string, message: string) => {
    const at = nowMs();
    seen.set(versionOf(message), at);
  });
  await redis.subscribe(channel);
}

export interface OpenGraphqlParams {
  group: string;
  client: SubscriberClient;
  count: number;
  /** Subscriptions being opened at once. */
  concurrency: number;
  graphqlUrl: string;
  wsUrl: string;
  redisUrl: string;
  channel: string;
  domain: string;
  runId: string;
  token?: string;
}

export interface OpenResult {
  opened: number;
  failed: number;
  ms: number;
  errors: string[];
}

/** Opens `count` GraphQL subscriptions (each on its own connection) and the raw reference. */
async function openGraphql(params: OpenGraphqlParams): Promise<OpenResult> {
  const state = group(params.group);
  const started = nowMs();
  await rawSubscriber(state, params.redisUrl, params.channel, state.rawSeen);
  let failed = 0;
  await mapLimit(
    Array.from({ length: params.count }),
    params.concurrency,
    () =>
      new Promise<void>((resolve) => {
        const subscriber: Subscriber = { seen: new Map() };
        let first = true;
        const dispose = watchRun(
          params.client,
          params,
          { domain: params.domain, runId: params.runId },
          {
            next(event) {
              subscriber.seen.set(event.version, nowMs());
              if (first) {
                first = false;
                state.subscribers.push(subscriber);
                resolve();
              }
            },
            error(error) {
              if (state.errors.length < 5) state.errors.push(describe(error));
              if (first) {
                first = false;
                failed++;
                resolve();
              }
            },
            complete() {},
          },
        );
        state.disposers.push(dispose);
      }),
  );
  return {
    opened: state.subscribers.length,
    failed,
    ms: nowMs() - started,
    errors: state.errors.slice(),
  };
}

/** The baseline: `count` plain ioredis subscriber connections on the channel. */
async function openRaw(params: {
  group: string;
  count: number;
  redisUrl: string;
  channel: string;
}): Promise<OpenResult> {
  const state = group(params.group);
  const started = nowMs();
  await mapLimit(Array.from({ length: params.count }), 50, async () => {
    const subscriber: Subscriber = { seen: new Map() };
    await rawSubscriber(state, params.redisUrl, params.channel, subscriber.seen);
    state.subscribers.push(subscriber);
  });
  return { opened: state.subscribers.length, failed: 0, ms: nowMs() - started, errors: [] };
}

/** Resolves once every subscriber holds `version`, or at the timeout; returns how many lack it. */
async function waitForVersion(params: {
  group: string;
  version: number;
  timeoutMs: number;
}): Promise<number> {
  const state = group(params.group);
  const deadline = Date.now() + params.timeoutMs;
  for (;;) {
    const missing = state.subscribers.filter((s) => !s.seen.has(params.version)).length;
    if (missing === 0 || Date.now() >= deadline) return missing;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface CollectParams {
  group: string;
  versions: number[];
  /** version -> nowMs() when the harness sent its PUBLISH (for a run: the EVALSHA). */
  reference: Record<number, number>;
  /** 'graphql': also time each event from this process's raw subscriber receiving it. */
  mode: 'raw' | 'graphql';
}

export interface CollectResult {
  /** Subscriber has it - PUBLISH sent, for every subscriber and version. */
  fromPublish: number[];
  /** GraphQL only: event - this process's raw subscriber receiving the same version. */
  afterRawSubscriber: number[];
  /** (subscriber, version) pairs that never arrived. */
  missing: number;
  /** Versions the reference raw subscriber of this process never saw. */
  missingRaw: number;
}

function collect(params: CollectParams): CollectResult {
  const state = group(params.group);
  const fromPublish: number[] = [];
  const afterRawSubscriber: number[] = [];
  let missing = 0;
  let missingRaw = 0;
  for (const version of params.versions) {
    const sent = params.reference[version];
    const raw = state.rawSeen.get(version);
    if (params.mode === 'graphql' && raw === undefined) missingRaw++;
    for (const subscriber of state.subscribers) {
      const at = subscriber.seen.get(version);
      if (at === undefined) {
        missing++;
        continue;
      }
      if (sent !== undefined) fromPublish.push(at - sent);
      if (params.mode === 'graphql' && raw !== undefined) afterRawSubscriber.push(at - raw);
    }
  }
  return { fromPublish, afterRawSubscriber, missing, missingRaw };
}

/** Closes one group's connections, or every group's. */
async function close(params?: { group?: string }): Promise<void> {
  const names = params?.group ? [params.group] : [...groups.keys()];
  for (const name of names) {
    const state = groups.get(name);
    if (!state) continue;
    groups.delete(name);
    for (const dispose of state.disposers) dispose();
    await Promise.allSettled(state.rawConnections.map((redis) => redis.quit()));
  }
}

/** This process's event-loop delay while the harness writes (see loopDelay*). */
let loopDelay: IntervalHistogram | undefined;

/** Starts sampling how late this process's event loop runs (1 ms resolution). */
function loopDelayStart(): void {
  loopDelay?.disable();
  loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
}

/** Stops sampling; how late the event loop ran meanwhile, p99 and max, in ms. */
function loopDelayStop(): { p99Ms: number; maxMs: number } {
  const histogram = loopDelay;
  loopDelay = undefined;
  if (!histogram) return { p99Ms: Number.NaN, maxMs: Number.NaN };
  histogram.disable();
  return { p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6 };
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return JSON.stringify(error).slice(0, 300);
  } catch {
    return String(error); // not JSON-serialisable (a cycle, a BigInt): its string form will do
  }
}

export const pushHandlers = {
  'push.openGraphql': openGraphql,
  'push.openRaw': openRaw,
  'push.waitForVersion': waitForVersion,
  'push.collect': collect,
  'push.close': close,
  'push.loopDelayStart': loopDelayStart,
  'push.loopDelayStop': loopDelayStop,
};
