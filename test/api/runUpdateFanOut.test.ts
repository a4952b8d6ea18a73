import { afterEach, describe, expect, it } from 'vitest';
import {
  ENGAGEMENT_UPDATED,
  graphqlRequest,
  START,
  type Subscription,
  subscribe,
} from '../../support/graphqlClients.ts';
import { ScriptedPipeline, sampleSummary } from '../../support/scriptedPipeline.ts';
import { BACKENDS, startTestApp, type TestApp } from '../support/testApp.ts';

type Watched = { engagementUpdated?: { version: number }; run?: { v: number; stage: string } };

const SMALL_WATCH = `subscription Small($domain: String!, $runId: ID!) {
  run: engagementUpdated(domain: $domain, runId: $runId) { ...Small }
}
fragment Small on EngagementRun { v: version stage: status }`;

/**
 * Subscribers of one run over WebSocket share one watch of it: one pub/sub subscription and
 * one snapshot read, one execution per state and distinct operation, whatever their number.
 */
describe.each(BACKENDS)('the WebSocket fan-out on %s', (backend) => {
  let server: TestApp;
  const open: Array<Subscription<Watched>> = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.dispose()));
    await server.close();
  });

  it('serves many subscribers of a run from one watch, each with the states it asked for', async () => {
    const pipeline = new ScriptedPipeline();
    server = await startTestApp(backend, {}, { pipeline });
    const started = await graphqlRequest<{ startEngagementSummary: { runId: string } }>(
      server.graphqlUrl,
      START,
      { domain: 'acme.com' },
    );
    const runId = started.data?.startEngagementSummary.runId as string;
    const run = await pipeline.started(runId);
    const watch = (query: string) => {
      const sub = subscribe<Watched>({ transport: 'ws', ...server }, query, {
        domain: 'acme.com',
        runId,
      });
      open.push(sub);
      return sub;
    };

    const full = Array.from({ length: 20 }, () => watch(ENGAGEMENT_UPDATED));
    const small = Array.from({ length: 5 }, () => watch(SMALL_WATCH));
    await Promise.all([...full, ...small].map((s) => s.waitFor(1)));
    // One watch per distinct operation, not per subscriber.
    expect(server.app.services.runs.openWatches).toBe(2);
    if (server.app.backend.redis) {
      const channel = server.app.keys.runChannel('acme.com', runId);
      expect(await server.app.backend.redis.call('PUBSUB', 'NUMSUB', channel)).toEqual([
        channel,
        1,
      ]);
    }
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('engagement_open_subscriptions{transport="websocket"} 25');

    await run.report({ stage: 'fetching_meetings' });
    await run.report({ stage: 'fetching_meetings', meetingsFound: 1 });
    await Promise.all(full.map((s) => s.waitFor(3)));
    // A subscriber who joins a live watch starts from its latest state.
    const late = watch(ENGAGEMENT_UPDATED);
    await late.waitFor(1);
    await run.report({ stage: 'summarizing' });
    run.finish(sampleSummary());

    for (const sub of [...full, ...small, late]) expect(await sub.ended).toBe('complete');
    for (const sub of full) {
      expect(sub.events.map((e) => e.engagementUpdated?.version)).toEqual([1, 2, 3, 4, 5]);
      expect(sub.errors).toEqual([]);
    }
    expect(late.events.map((e) => e.engagementUpdated?.version)).toEqual([3, 4, 5]);
    for (const sub of small) {
      expect(sub.events.map((e) => e.run)).toEqual([
        { v: 1, stage: 'PROCESSING' },
        { v: 2, stage: 'PROCESSING' },
        { v: 3, stage: 'PROCESSING' },
        { v: 4, stage: 'PROCESSING' },
        { v: 5, stage: 'COMPLETE' },
      ]);
    }
    await expect.poll(() => server.app.services.runs.openWatches).toBe(0);
    expect(await (await fetch(`${server.url}/metrics`)).text()).toContain(
      'engagement_open_subscriptions{transport="websocket"} 0',
    );
  });
});
