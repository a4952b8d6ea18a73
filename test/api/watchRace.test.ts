import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTerminal, type RunChannelMessage, type RunRecord } from '../../src/model/runRecord.ts';
import { advance, complete, newRun } from '../../src/model/runTransitions.ts';
import { EngagementRuns } from '../../src/runs/engagementRuns.ts';
import type { RunQueue } from '../../src/runs/runQueue.ts';
import { sampleSummary } from '../../support/scriptedPipeline.ts';
import { BACKENDS } from '../support/testApp.ts';
import { createTestBackend, type TestBackend } from '../support/testBackend.ts';

const idleQueue: RunQueue = { enqueue: async () => {}, close: async () => {} };
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Subscribers join at random moments while a writer moves a run through its states as fast
 * as the store allows. Whatever the interleaving, each subscriber must see one unbroken
 * sequence of versions from its snapshot to the terminal state.
 */
describe.each(BACKENDS)('watching while writes happen, on %s', (kind) => {
  let backend: TestBackend;
  let runs: EngagementRuns;
  beforeEach(() => {
    backend = createTestBackend(kind);
    runs = new EngagementRuns({ ...backend, queue: idleQueue, runTimeoutMs: 60_000 });
  });
  afterEach(async () => {
    await backend.close();
  });

  async function collect(domain: string, runId: string): Promise<number[]> {
    const stream = await runs.watch(domain, runId);
    const versions: number[] = [];
    for await (const message of stream) {
      versions.push((message as RunRecord).version);
    }
    return versions;
  }

  it('never loses or repeats a state, over many interleavings', async () => {
    const ITERATIONS = 40;
    const WRITES = 15;
    const WATCHERS = 8;
    for (let i = 0; i < ITERATIONS; i++) {
      const domain = 'race.example.com';
      let run = newRun(domain, randomUUID(), new Date(), 60_000);
      await backend.store.write(run);

      const watchers = Array.from({ length: WATCHERS }, async (_, w) => {
        // Spread the joins over the whole write sequence, including before the first write.
        await pause(Math.floor(Math.random() * WRITES * 0.6) + (w % 2));
        return collect(domain, run.run_id);
      });
      for (let v = 2; v <= WRITES; v++) {
        run =
          v === WRITES
            ? complete(run, sampleSummary(), new Date())
            : advance(run, { stage: 'fetching_meetings', meetingsFound: v }, new Date());
        expect(await backend.store.write(run)).toEqual({ ok: true });
        if (Math.random() < 0.5) await pause(Math.random() < 0.5 ? 0 : 1);
      }

      for (const versions of await Promise.all(watchers)) {
        const first = versions[0] as number;
        expect(versions).toEqual(Array.from({ length: WRITES - first + 1 }, (_, k) => first + k));
      }
    }
  });

  it('releases every subscription: 1,000 watch cycles leave no channel or listener', async () => {
    const domain = 'leak.example.com';
    const run = newRun(domain, randomUUID(), new Date(), 60_000);
    await backend.store.write(run);
    for (let i = 0; i < 1000; i++) {
      const stream = await runs.watch(domain, run.run_id);
      const first = await stream.next();
      expect((first.value as RunChannelMessage & { version: number }).version).toBe(1);
      await stream.return?.();
    }
    // A watch that ends by itself (terminal state) releases too.
    const ending = await runs.watch(domain, run.run_id);
    await backend.store.write(complete(run, sampleSummary(), new Date()));
    const seen: RunChannelMessage[] = [];
    for await (const message of ending) seen.push(message);
    expect(seen.map((m) => isTerminal(m as RunRecord))).toEqual([false, true]);

    expect(runs.openWatches).toBe(0);
    await expect.poll(() => countSubscribedChannels(backend)).toBe(0);
  });
});

async function countSubscribedChannels(backend: TestBackend): Promise<number> {
  if (backend.kind === 'memory') {
    return (backend.events as unknown as { activeChannels: number }).activeChannels;
  }
  const pattern = `${backend.keys.prefix}*`;
  const channels = (await backend.redis?.call('PUBSUB', 'CHANNELS', pattern)) as string[];
  return channels.length;
}
