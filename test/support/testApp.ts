import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { type App, type AppOverrides, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';

export type BackendKind = 'memory' | 'redis';
export const BACKENDS: BackendKind[] = ['memory', 'redis'];

export interface TestApp {
  app: App;
  /** Base URL, e.g. http://127.0.0.1:39211 */
  url: string;
  graphqlUrl: string;
  wsUrl: string;
  kvPrefix: string;
  close(): Promise<void>;
}

/** A fresh KV_PREFIX, so that tests sharing one Redis never see each other's keys. */
export function uniquePrefix(): string {
  return `test-${randomUUID().slice(0, 8)}:`;
}

/**
 * Starts the real service on a free port with the given backend and environment, exactly as
 * `npm start` builds it; only the pipeline may be replaced.
 */
export async function startTestApp(
  backend: BackendKind,
  env: Record<string, string> = {},
  overrides: AppOverrides = {},
): Promise<TestApp> {
  const kvPrefix = env.KV_PREFIX ?? uniquePrefix();
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    KV_PREFIX: kvPrefix,
    ...(backend === 'redis' ? { REDIS_URL: inject('redisUrl') } : {}),
    ...env,
  });
  const app = createApp(config, overrides);
  const url = await app.listen();
  return {
    app,
    url,
    graphqlUrl: `${url}/graphql`,
    wsUrl: `${url.replace(/^http/, 'ws')}/graphql`,
    kvPrefix,
    close: () => app.close(),
  };
}

/** The open-subscriptions gauge of one transport, as /metrics reports it. */
export async function openSubscriptions(server: TestApp, transport: string): Promise<number> {
  const text = await server.app.metrics.render();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`engagement_open_subscriptions{transport="${transport}"} `));
  return Number(line?.split(' ').pop());
}
