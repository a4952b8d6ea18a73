import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunChannelMessage, RunRecord } from '../../src/model/runRecord.ts';
import { advance, complete, newRun } from '../../src/model/runTransitions.ts';
import type { RunUpdateStream } from '../../src/runs/runUpdateStream.ts';
import { ENDED_RUNS_KEPT, SharedDomainWatch } from '../../src/runs/sharedDomainWatch.ts';
import { sampleSummary } from '../../support/scriptedPipeline.ts';
import { BACKENDS } from '../support/testApp.ts';
import { createTestBackend, type TestBackend } from '../support/testBackend.ts';

const DOMAIN = 'acme.com';

/** Everything a stream has delivered so far, as `runId@version`, without waiting for more. */
async function drain(stream: RunUpdateStream<RunChannelMessage>): Promise<string[]> {
  const seen: string[] = [];
  for (;;) {
    const next = await Promise.race([
      stream.next(),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 50)),
    ]);
    if (next === null || next.done) return seen;
    const run = next.value as RunRecord;
    seen.push(`${run.run_id}@${run.version}`);
  }
}

/**
 * A domain watched for a long time sees many runs start and end: it must hold what it needs
 * per run only while a run can still write (and for the few that just ended), not for every
 * run it ever saw, without handing on an older or repeated state.
 */
describe.each(BACKENDS)('a long-watched domain on %s', (kind) => {
  let backend: TestBackend;
  let watch: SharedDomainWatch;

  beforeEach(async () => {
    backend = createTestBackend(kind);
    watch = new SharedDomainWatch({
      events: backend.events,
      channel: backend.keys.domainChannel(DOMAIN),
      store: backend.store,
      domain: DOMAIN,
      onClosed: () => {},
    });
    await watch.started;
  });
  afterEach(async () => {
    watch.fail(new Error('test over'));
    await backend.close();
  });

  /** Writes a run's states one by one; returns them. */
  async function runThrough(states: number, end = true): Promise<RunRecord[]> {
    let run = newRun(DOMAIN, randomUUID(), new Date(), 60_000);
    const written = [run];
    expect(await backend.store.write(run)).toEqual({ ok: true });
    for (let version = 2; version <= states; version++) {
      run =
        version === states && end
          ? complete(run, sampleSummary(), new Date())
          : advance(run, { stage: 'fetching_meetings', meetingsFound: version }, new Date());
      expect(await backend.store.write(run)).toEqual({ ok: true });
      written.push(run);
    }
    return written;
  }

  it('forgets runs that ended, keeping only the last few, while delivering every state once', async () => {
    const stream = watch.join(() => {}) as RunUpdateStream<RunChannelMessage>;
    const still = await runThrough(2, false);
    const ended: RunRecord[] = [];
    for (let i = 0; i < ENDED_RUNS_KEPT * 2; i++) ended.push(...(await runThrough(3)));
    const stillId = still[0]?.run_id;

    const expected = [...still, ...ended].map((run) => `${run.run_id}@${run.version}`);
    // Every state delivered, once, in the order written.
    expect(await drainAll(stream, expected.length)).toEqual(expected);
    // The open run, plus the last ENDED_RUNS_KEPT ended: not the 2 x ENDED_RUNS_KEPT seen.
    expect(watch.runsHeld).toBe(1 + ENDED_RUNS_KEPT);

    // The open run is still followed in order, and ends like the others.
    const last = still.at(-1) as RunRecord;
    const done = complete(last, sampleSummary(), new Date());
    expect(await backend.store.write(done)).toEqual({ ok: true });
    expect(await drainAll(stream, 1)).toEqual([`${stillId}@3`]);
    expect(watch.runsHeld).toBe(ENDED_RUNS_KEPT);

    // Reading the store again hands on nothing: every run there has ended and was delivered.
    await watch.resync();
    expect(await drain(stream)).toEqual([]);
  });

  it('forgets a run deleted before it ended', async () => {
    const stream = watch.join(() => {}) as RunUpdateStream<RunChannelMessage>;
    const [first] = await runThrough(1, false);
    const runId = (first as RunRecord).run_id;
    expect(await drainAll(stream, 1)).toEqual([`${runId}@1`]);
    expect(await backend.store.delete(DOMAIN, runId)).toBe(true);
    for (let i = 0; i < ENDED_RUNS_KEPT; i++) await runThrough(2);
    await drainAll(stream, ENDED_RUNS_KEPT * 2);
    expect(watch.runsHeld).toBe(ENDED_RUNS_KEPT);
  });

  /** Exactly `count` more states, waiting for each. */
  async function drainAll(
    stream: RunUpdateStream<RunChannelMessage>,
    count: number,
  ): Promise<string[]> {
    const seen: string[] = [];
    while (seen.length < count) {
      const next = await stream.next();
      if (next.done) break;
      const run = next.value as RunRecord;
      seen.push(`${run.run_id}@${run.version}`);
    }
    return seen;
  }
});
