import { randomUUID } from 'node:crypto';
import { cpuSeconds, rssMb } from '../../support/processStats.ts';
import { type ChildHandle, minimalEnv, spawnChild } from './processes.ts';

/** The service under test, in a child process of its own. */
export interface ServiceHandle {
  readonly pid: number;
  readonly url: string;
  readonly graphqlUrl: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly kvPrefix: string;
  /** utime + stime of the service process (and any children) so far, from /proc. */
  cpuSeconds(): number;
  /** VmRSS of the service process, from /proc. */
  rssMb(): number;
  /** process.memoryUsage() inside the service, after a forced full GC. */
  memory(): Promise<NodeJS.MemoryUsage>;
  openWatches(): Promise<number>;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  redisUrl: string;
  /** Extra environment (raises limits, RUN_CONCURRENCY, ...). */
  env?: Record<string, string>;
  /** Run each started run through the scripted pipeline in this many ms. */
  runMs?: number;
}

/**
 * Extra node flags for the service, for profiling a benchmark without editing it, e.g.
 * BENCH_SERVICE_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/profiles" npm run bench -- push
 */
const EXTRA_NODE_FLAGS = (process.env.BENCH_SERVICE_NODE_FLAGS ?? '').split(' ').filter(Boolean);

export function freshPrefix(): string {
  return `bench-${randomUUID().slice(0, 8)}:`;
}

/**
 * A run worker (`npm run worker` with the scripted pipeline) for the service's deployment:
 * same Redis and KV_PREFIX; start the service with RUN_WORKER=false beside it.
 */
export async function startRunWorker(options: {
  redisUrl: string;
  kvPrefix: string;
  runMs: number;
  env?: Record<string, string>;
}): Promise<ChildHandle> {
  return spawnChild(new URL('./workerMain.ts', import.meta.url), {
    name: 'run-worker',
    env: minimalEnv({
      REDIS_URL: options.redisUrl,
      KV_PREFIX: options.kvPrefix,
      LOG_LEVEL: 'silent',
      BENCH_RUN_MS: String(options.runMs),
      ...options.env,
    }),
  });
}

export async function startService(options: ServiceOptions): Promise<ServiceHandle> {
  const kvPrefix = options.env?.KV_PREFIX ?? freshPrefix();
  const env = minimalEnv({
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: options.redisUrl,
    KV_PREFIX: kvPrefix,
    LOG_LEVEL: 'silent',
    START_RATE_LIMIT: '1000000',
    WS_MAX_CONNECTIONS: '20000',
    WS_MAX_CONNECTIONS_PER_CLIENT: '20000',
    ...(options.runMs ? { BENCH_RUN_MS: String(options.runMs) } : {}),
    ...options.env,
  });
  const child: ChildHandle = await spawnChild(new URL('./serviceMain.ts', import.meta.url), {
    name: 'service',
    env,
    nodeFlags: ['--expose-gc', ...EXTRA_NODE_FLAGS],
  });
  const { url } = child.info as { url: string };
  return {
    pid: child.pid,
    url,
    graphqlUrl: `${url}/graphql`,
    wsUrl: `${url.replace(/^http/, 'ws')}/graphql`,
    port: Number(new URL(url).port),
    kvPrefix,
    cpuSeconds: () => cpuSeconds(child.pid),
    rssMb: () => rssMb(child.pid),
    memory: () => child.call<NodeJS.MemoryUsage>('memory'),
    openWatches: () => child.call<number>('openWatches'),
    stop: () => child.stop(10_000),
  };
}

/** The floor server (floorServer.ts) on the deployment's Redis and KV_PREFIX. */
export async function startFloorServer(options: {
  redisUrl: string;
  kvPrefix: string;
}): Promise<ChildHandle & { url: string }> {
  const child = await spawnChild(new URL('./floorServer.ts', import.meta.url), {
    name: 'floor-server',
    env: minimalEnv({ REDIS_URL: options.redisUrl, KV_PREFIX: options.kvPrefix }),
    nodeFlags: EXTRA_NODE_FLAGS,
  });
  return Object.assign(child, { url: (child.info as { url: string }).url });
}
