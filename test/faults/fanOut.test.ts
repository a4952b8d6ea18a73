import { afterEach, describe, expect, it } from 'vitest';
import { ENGAGEMENT_UPDATED, type Subscription, subscribe } from '../../support/graphqlClients.ts';
import { ScriptedPipeline, sampleSummary } from '../../support/scriptedPipeline.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';

type Event = { engagementUpdated: { runId: string; version: number; status: string } };

let server: TestApp;
const subs: Array<Subscription<Event>> = [];
afterEach(async () => {
  await Promise.all(subs.splice(0).map((s) => s.dispose()));
  await server.close();
});

describe('1,000 subscribers on one run while 200 other runs go on', () => {
  it('every subscriber receives its terminal state exactly once', async () => {
    const pipeline = new ScriptedPipeline({ stepDelayMs: 150, summary: sampleSummary() });
    const manual = new ScriptedPipeline();
    let first = true;
    server = await startTestApp(
      'redis',
      { START_RATE_LIMIT: '1000', RUN_CONCURRENCY: '250', WS_MAX_CONNECTIONS_PER_CLIENT: '5000' },
      {
        // The watched run is steered by the test; the 200 others run by themselves.
        pipeline: {
          run: (run) => {
            const chosen = first ? manual : pipeline;
            first = false;
            return chosen.run(run);
          },
        },
      },
    );
    const big = await server.app.services.runs.start('acme.com');
    const controller = await manual.started(big.run_id);
    for (let i = 0; i < 1000; i++) {
      subs.push(
        subscribe<Event>({ transport: i % 4 === 3 ? 'sse' : 'ws', ...server }, ENGAGEMENT_UPDATED, {
          domain: 'acme.com',
          runId: big.run_id,
        }),
      );
    }
    await Promise.all(subs.map((s) => s.waitFor(1)));

    const others = await Promise.all(
      Array.from({ length: 200 }, (_, i) => server.app.services.runs.start(`company-${i}.com`)),
    );
    const otherSubs = others.map((run) =>
      subscribe<Event>({ transport: 'ws', ...server }, ENGAGEMENT_UPDATED, {
        domain: run.domain,
        runId: run.run_id,
      }),
    );
    subs.push(...otherSubs);

    await controller.report({ stage: 'fetching_meetings' });
    await controller.report({ stage: 'summarizing', meetingsFound: 1 });
    controller.finish(sampleSummary());

    const endings = await Promise.all(subs.map((s) => s.ended));
    expect(endings.every((e) => e === 'complete')).toBe(true);
    for (const sub of subs) {
      const terminal = sub.events.filter((e) => e.engagementUpdated.status !== 'PROCESSING');
      expect(terminal).toHaveLength(1);
      const versions = sub.events.map((e) => e.engagementUpdated.version);
      expect(new Set(versions).size).toBe(versions.length);
    }
    expect(subs.slice(0, 1000).every((s) => s.events.at(-1)?.engagementUpdated.version === 4)).toBe(
      true,
    );
  }, 120_000);
});
