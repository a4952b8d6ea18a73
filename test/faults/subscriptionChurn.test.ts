import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { newRun } from '../../src/model/runTransitions.ts';
import { EngagementRuns } from '../../src/runs/engagementRuns.ts';
import type { RunQueue } from '../../src/runs/runQueue.ts';
import { createTestBackend, type TestBackend } from '../support/testBackend.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const idleQueue: RunQueue = { enqueue: async () => {}, close: async () => {} };

let backend: TestBackend;
afterEach(async () => {
  await backend.close();
});

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

describe('10,000 subscribe/unsubscribe cycles on Redis', () => {
  it('leave no channel subscribed and the heap flat', async () => {
    backend = createTestBackend('redis');
    const runs = new EngagementRuns({ ...backend, queue: idleQueue, runTimeoutMs: 60_000 });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const run = newRun('churn.example.com', randomUUID(), new Date(), 60_000);
      await backend.store.write(run);
      ids.push(run.run_id);
    }
    const cycle = async (i: number) => {
      const stream = await runs.watch('churn.example.com', ids[i % ids.length] as string);
      await stream.next();
      await stream.return?.();
    };
    // Warm up (JIT, pools), then measure across 10,000 more cycles, 50 at a time.
    for (let i = 0; i < 1000; i += 50)
      await Promise.all(Array.from({ length: 50 }, (_, k) => cycle(i + k)));
    const before = heapAfterGc();
    for (let i = 0; i < 10_000; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, k) => cycle(i + k)));
    }
    await new Promise((r) => setTimeout(r, 200));
    const after = heapAfterGc();

    expect(runs.openWatches).toBe(0);
    const channels = (await backend.redis?.call(
      'PUBSUB',
      'CHANNELS',
      `${backend.keys.prefix}*`,
    )) as string[];
    expect(channels).toEqual([]);
    expect(after / before).toBeLessThan(1.1);
  }, 120_000);
});
