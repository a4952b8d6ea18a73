import { afterEach, describe, expect, inject, it } from 'vitest';
import { startFakeFathom } from '../../support/fakes/fakeFathom.ts';
import { buildMeetings } from '../../support/fakes/fathomFixtures.ts';
import { capturingLogger } from '../support/logCapture.ts';
import { watchToEnd } from '../support/runHelpers.ts';
import { startTestApp, type TestApp, uniquePrefix } from '../support/testApp.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const COMPANIES = ['acme.com', 'globex.com', 'initech.com', 'umbrella.com'].map((domain) => ({
  domain,
  people: [{ name: 'Jane Doe', email: `jane@${domain}` }],
}));

/** Holds the event loop, as a long synchronous step does (loading the tokenizer's ranks). */
function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy on purpose: no timer, no I/O callback runs meanwhile
  }
}

describe('runs waiting on a slow Fathom, on two instances (Redis, WORKER_LOCK_MS=1000)', () => {
  it('are each executed once, even when a pause of the workers lets the job locks lapse', async () => {
    // Two meetings per company, one per page: each run lists two pages, each answered after 3 s.
    const fathom = await startFakeFathom({
      meetings: buildMeetings({ companies: COMPANIES, meetingsPerCompany: 2 }),
      pageSize: 1,
    });
    fathom.setDefault({ kind: 'delay', ms: 3000 });
    cleanups.push(() => fathom.close());
    const env = {
      REDIS_URL: inject('redisUrl'),
      KV_PREFIX: uniquePrefix(),
      FATHOM_API_KEY: 'fathom-test-key',
      FATHOM_BASE_URL: fathom.baseUrl,
      SUMMARIZER: 'extractive',
      WORKER_LOCK_MS: '1000',
      RUN_TIMEOUT_MS: '40000',
      LOG_LEVEL: 'silent',
    };
    const { logger, lines } = capturingLogger();
    const instances: TestApp[] = [];
    for (let i = 0; i < 2; i++) {
      const instance = await startTestApp('redis', env, { logger });
      cleanups.push(() => instance.close());
      instances.push(instance);
    }
    const [first, second] = instances as [TestApp, TestApp];
    const runs = await Promise.all(
      COMPANIES.map(({ domain }, i) => (i % 2 ? second : first).app.services.runs.start(domain)),
    );
    const histories = Promise.all(runs.map((run) => watchToEnd(first.app, run.domain, run.run_id)));

    // Every run is waiting on its first page; both workers stop for 2 s, longer than their
    // 1 s job locks, which lapse in Redis.
    await expect.poll(() => fathom.requests.length, { timeout: 20_000 }).toBe(COMPANIES.length);
    blockEventLoop(2000);

    for (const states of await histories) {
      expect(states.filter((state) => state.status === 'complete')).toHaveLength(1);
      expect(states.at(-1)?.status).toBe('complete');
      expect(states.at(-1)?.summary?.meetings_count).toBe(2);
    }
    // One listing per run: its first page (no cursor), then its second page, and nothing more.
    for (const { domain } of COMPANIES) {
      const listing = fathom.requests.filter(
        (request) =>
          request.path.endsWith('/meetings') &&
          request.query.get('calendar_invitees_domains[]') === domain,
      );
      expect(listing.map((request) => request.query.has('cursor'))).toEqual([false, true]);
    }
    // One COMPLETE counted across the two instances (counted just after the write is seen).
    const completed = async () => {
      let total = 0;
      for (const { app } of instances) {
        const metric = app.metrics.registry.getSingleMetric('engagement_runs_completed_total');
        total += (await metric?.get())?.values[0]?.value ?? 0;
      }
      return total;
    };
    await expect.poll(completed).toBe(COMPANIES.length);
    // The lapse did happen: BullMQ handed runs to a second executor, which waited.
    const waited = lines.filter((line) => line.includes('waiting for its lease'));
    expect(waited.length).toBeGreaterThan(0);
  }, 60_000);
});
