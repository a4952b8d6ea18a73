import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { complete, newRun } from '../../src/model/runTransitions.ts';
import { updateRun } from '../../src/model/updateRun.ts';
import { RunExecutor } from '../../src/pipeline/runExecutor.ts';
import { type RunLease, RunLeaseLostError, RunLeases } from '../../src/pipeline/runLease.ts';
import { emptySummary, ScriptedPipeline } from '../../support/scriptedPipeline.ts';
import { capturingLogger } from '../support/logCapture.ts';
import { BACKENDS } from '../support/testApp.ts';
import { createTestBackend, type TestBackend } from '../support/testBackend.ts';

const TTL_MS = 300;

/** Holds the event loop, as a long synchronous step does: no lease renewal runs meanwhile. */
function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy on purpose
  }
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function backendOf(kind: (typeof BACKENDS)[number]): TestBackend {
  const backend = createTestBackend(kind);
  cleanups.push(() => backend.close());
  return backend;
}

function held(lease: RunLease | null): RunLease {
  expect(lease).not.toBeNull();
  const claimed = lease as RunLease;
  cleanups.push(() =>
    claimed.release().catch(() => {
      // Cleanup must not hide the test's own result: an unreleased lease lapses after
      // TTL_MS, and its backend is closed right after.
    }),
  );
  return claimed;
}

describe.each(BACKENDS)('run leases (%s)', (kind) => {
  it('let one executor hold a run at a time, and the next claim it once released', async () => {
    const leases = new RunLeases(backendOf(kind).runLeases, TTL_MS);
    const runId = randomUUID();
    const first = held(await leases.tryAcquire(runId));
    expect(await leases.tryAcquire(runId)).toBeNull();
    await first.confirm();
    await first.release();
    held(await leases.tryAcquire(runId));
    // A run's lease says nothing about another run.
    held(await leases.tryAcquire(randomUUID()));
  });

  it('keep the run for a holder that paused past its lease when no one claimed it', async () => {
    const leases = new RunLeases(backendOf(kind).runLeases, TTL_MS);
    const runId = randomUUID();
    const lease = held(await leases.tryAcquire(runId));
    blockEventLoop(TTL_MS * 2);
    await lease.confirm();
    expect(lease.signal.aborted).toBe(false);
    expect(await leases.tryAcquire(runId)).toBeNull();
  });

  it('take the run from a holder whose lapsed lease another executor claimed', async () => {
    const leases = new RunLeases(backendOf(kind).runLeases, TTL_MS);
    const runId = randomUUID();
    const paused = held(await leases.tryAcquire(runId));
    blockEventLoop(TTL_MS * 2);
    // Claimed before the paused holder's renewal timer gets a turn.
    const successor = held(await leases.tryAcquire(runId));

    await expect(paused.confirm()).rejects.toBeInstanceOf(RunLeaseLostError);
    expect(paused.signal.aborted).toBe(true);
    expect(paused.signal.reason).toBeInstanceOf(RunLeaseLostError);
    // Releasing a lost lease leaves the successor's alone.
    await paused.release();
    expect(await leases.tryAcquire(runId)).toBeNull();
    await successor.confirm();
  });

  it('free the run once a holder that stopped renewing (its process died) lets it lapse', async () => {
    const backend = backendOf(kind);
    const leases = new RunLeases(backend.runLeases, TTL_MS);
    const runId = randomUUID();
    await backend.runLeases.acquire(runId, 'a-worker-that-died', TTL_MS);
    expect(await leases.tryAcquire(runId)).toBeNull();
    let taken: RunLease | null = null;
    await expect
      .poll(async () => (taken ??= await leases.tryAcquire(runId)), { timeout: 5_000 })
      .not.toBeNull();
    held(taken);
  });
});

describe('run leases in Redis', () => {
  it('live under KV_PREFIX and are gone once released', async () => {
    const backend = backendOf('redis');
    const redis = backend.redis;
    if (!redis) throw new Error('the Redis backend has a command connection');
    const leases = new RunLeases(backend.runLeases, 30_000);
    const runId = randomUUID();
    const lease = held(await leases.tryAcquire(runId));
    const pattern = `${backend.keys.prefix}run-lease*`;
    expect((await redis.keys(pattern)).sort()).toEqual(
      [backend.keys.runLease(runId), backend.keys.runLeaseHolder(runId)].sort(),
    );
    expect(await redis.pttl(backend.keys.runLease(runId))).toBeGreaterThan(0);
    await lease.release();
    expect(await redis.keys(pattern)).toEqual([]);
  });
});

describe.each(BACKENDS)('a run handed to a second executor (%s)', (kind) => {
  async function setUp() {
    const backend = backendOf(kind);
    const { logger, lines } = capturingLogger();
    const leases = new RunLeases(backend.runLeases, TTL_MS);
    const pipeline = new ScriptedPipeline();
    const pipelineRuns: string[] = [];
    const executor = new RunExecutor({
      store: backend.store,
      pipeline: {
        run: (pipelineRun) => {
          pipelineRuns.push(pipelineRun.runId);
          return pipeline.run(pipelineRun);
        },
      },
      leases,
      logger,
      runTimeoutMs: 30_000,
    });
    const run = newRun('acme.com', randomUUID(), new Date(), 30_000);
    expect(await backend.store.write(run)).toEqual({ ok: true });
    const job = { domain: run.domain, runId: run.run_id };
    const waiting = () => lines.filter((line) => line.includes('waiting for its lease')).length;
    return { backend, leases, pipeline, pipelineRuns, executor, run, job, waiting };
  }

  it('waits while the first holds it, and does nothing once the first ends it', async () => {
    const { backend, leases, pipelineRuns, executor, run, job, waiting } = await setUp();
    const first = held(await leases.tryAcquire(run.run_id));
    const second = executor.execute(job);
    await expect.poll(waiting).toBe(1);

    const ended = await updateRun(backend.store, run.domain, run.run_id, (current) =>
      complete(current, emptySummary(), new Date()),
    );
    expect(ended.ok).toBe(true);
    await first.release();
    await second;

    expect(pipelineRuns).toEqual([]);
    const final = await backend.store.get(run.domain, run.run_id);
    expect(final?.status).toBe('complete');
    expect(final?.version).toBe(2);
  });

  it('executes it once the first holder lets its lease lapse (its process died)', async () => {
    const { backend, pipeline, pipelineRuns, executor, run, job, waiting } = await setUp();
    await backend.runLeases.acquire(run.run_id, 'a-worker-that-died', TTL_MS);
    const second = executor.execute(job);
    await expect.poll(waiting).toBe(1);

    const controller = await pipeline.started(run.run_id);
    await controller.report({ stage: 'fetching_meetings' });
    controller.finish();
    await second;
    expect(pipelineRuns).toEqual([run.run_id]);
    expect((await backend.store.get(run.domain, run.run_id))?.status).toBe('complete');
  });

  it('stops the first executor, without writing, when the second took the run over', async () => {
    const { backend, leases, pipeline, executor, run, job } = await setUp();
    const first = executor.execute(job);
    const controller = await pipeline.started(run.run_id);
    await controller.report({ stage: 'fetching_meetings' });
    const before = await backend.store.get(run.domain, run.run_id);

    // The first executor pauses past its lease, and another claims the run meanwhile.
    blockEventLoop(TTL_MS * 2);
    held(await leases.tryAcquire(run.run_id));

    await expect(controller.report({ stage: 'summarizing' })).rejects.toBeInstanceOf(
      RunLeaseLostError,
    );
    await first;
    expect(controller.signal?.aborted).toBe(true);
    const after = await backend.store.get(run.domain, run.run_id);
    expect(after?.version).toBe(before?.version);
    expect(after?.status).toBe('processing');
  });
});
