import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunRecord } from '../../src/model/runRecord.ts';
import { complete, fail, newRun } from '../../src/model/runTransitions.ts';
import { previousCompleteRun } from '../../src/pipeline/previousCompleteRun.ts';
import { emptySummary, ScriptedPipeline } from '../../support/scriptedPipeline.ts';
import { runToEnd } from '../support/runHelpers.ts';
import { BACKENDS, startTestApp, type TestApp } from '../support/testApp.ts';
import { createTestBackend, type TestBackend } from '../support/testBackend.ts';

const DOMAIN = 'acme.com';
const at = (seconds: number) => new Date(Date.UTC(2026, 2, 1, 10, 0, seconds));

describe.each(BACKENDS)('the previous complete run, on %s', (kind) => {
  let backend: TestBackend;
  beforeEach(() => {
    backend = createTestBackend(kind);
  });
  afterEach(() => backend.close());

  async function stored(seconds: number, end: 'complete' | 'error' | 'open'): Promise<RunRecord> {
    const run = newRun(DOMAIN, randomUUID(), at(seconds), 60_000);
    expect(await backend.store.write(run)).toEqual({ ok: true });
    if (end === 'open') return run;
    const ended =
      end === 'complete'
        ? complete(run, emptySummary(), at(seconds))
        : fail(run, 'Fathom refused the key.', at(seconds));
    expect(await backend.store.write(ended)).toEqual({ ok: true });
    return ended;
  }

  it('is the newest COMPLETE run created before, however many failed runs came after it', async () => {
    await stored(0, 'complete');
    const previous = await stored(1, 'complete');
    // More failed and open runs than the first look reads.
    for (let i = 0; i < 25; i++) await stored(2 + i, i % 5 === 0 ? 'open' : 'error');
    const run = await stored(40, 'open');
    // Complete, but created after the run: not its previous one.
    await stored(41, 'complete');

    expect((await previousCompleteRun(backend.store, run))?.run_id).toBe(previous.run_id);
  });

  it('is null when no earlier run of the domain completed', async () => {
    await stored(0, 'error');
    await stored(1, 'open');
    await stored(3, 'complete');
    const run = await stored(2, 'open');
    expect(await previousCompleteRun(backend.store, run)).toBeNull();
  });
});

describe('a run whose previous run cannot be read', () => {
  let server: TestApp | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await server?.close();
  });

  it('still completes, without changes', async () => {
    server = await startTestApp(
      'memory',
      {},
      { pipeline: new ScriptedPipeline({ stepDelayMs: 0, summary: emptySummary() }) },
    );
    // Only the comparison lists the domain's runs while a run executes.
    vi.spyOn(server.app.backend.store, 'list').mockRejectedValue(new Error('store unreachable'));
    const states = await runToEnd(server.app, DOMAIN);
    const last = states.at(-1);
    expect(last?.status).toBe('complete');
    expect(last?.summary?.changes).toBeNull();
  });
});
