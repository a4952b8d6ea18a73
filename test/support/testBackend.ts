import { pino } from 'pino';
import { inject } from 'vitest';
import { type Backend, createBackend } from '../../src/backends.ts';
import { loadConfig } from '../../src/config.ts';
import { KeySpace } from '../../src/kv/keySpace.ts';
import type { BackendKind } from './testApp.ts';
import { uniquePrefix } from './testApp.ts';

export interface TestBackend extends Backend {
  keys: KeySpace;
}

/** The production backend of the given kind, under a fresh KV_PREFIX. */
export function createTestBackend(
  kind: BackendKind,
  env: Record<string, string> = {},
): TestBackend {
  const config = loadConfig({
    KV_PREFIX: uniquePrefix(),
    ...(kind === 'redis' ? { REDIS_URL: inject('redisUrl') } : {}),
    ...env,
  });
  const keys = new KeySpace(config.kvPrefix);
  return { ...createBackend(config, keys, pino({ level: 'silent' })), keys };
}
