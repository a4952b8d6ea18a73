import type { RedisPubSub } from 'graphql-redis-subscriptions';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  ENGAGEMENT_UPDATED,
  graphqlRequest,
  START,
  subscribe,
} from '../../support/graphqlClients.ts';
import { ScriptedPipeline, sampleSummary } from '../../support/scriptedPipeline.ts';
import { startTestApp, type TestApp, uniquePrefix } from '../support/testApp.ts';

const started: TestApp[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

async function start(
  pipeline: ScriptedPipeline,
  kvPrefix: string,
  env: Record<string, string> = {},
) {
  const server = await startTestApp('redis', { KV_PREFIX: kvPrefix, ...env }, { pipeline });
  started.push(server);
  return server;
}

async function startRun(server: TestApp, domain: string): Promise<string> {
  const result = await graphqlRequest<{ startEngagementSummary: { runId: string } }>(
    server.graphqlUrl,
    START,
    { domain },
  );
  return result.data?.startEngagementSummary.runId as string;
}

describe('subscriptions over the real transports on Redis', () => {
  it('1,000 WebSocket subscribe/unsubscribe cycles leave no Redis channel and no listener', async () => {
    const pipeline = new ScriptedPipeline();
    const server = await start(pipeline, uniquePrefix());
    const runId = await startRun(server, 'acme.com');
    const pubsub = server.app.backend.events as unknown as RedisPubSub;
    const subscriber = pubsub.getSubscriber();
    const listenersBefore = subscriber.listenerCount('message');

    for (let i = 0; i < 1000; i++) {
      const sub = subscribe(
        { transport: i % 10 === 9 ? 'sse' : 'ws', ...server },
        ENGAGEMENT_UPDATED,
        {
          domain: 'acme.com',
          runId,
        },
      );
      await sub.waitFor(1);
      sub.unsubscribe();
      await sub.dispose();
    }

    const redis = new Redis(inject('redisUrl'));
    try {
      const channel = server.app.keys.runChannel('acme.com', runId);
      await expect
        .poll(async () => (await redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number])
        .toEqual([channel, 0]);
    } finally {
      redis.disconnect();
    }
    await expect.poll(() => server.app.services.runs.openWatches).toBe(0);
    expect(Object.keys((pubsub as unknown as { subscriptionMap: object }).subscriptionMap)).toEqual(
      [],
    );
    expect(subscriber.listenerCount('message')).toBe(listenersBefore);
  });

  it("two instances on one Redis see each other's runs live", async () => {
    const kvPrefix = uniquePrefix();
    const pipelineA = new ScriptedPipeline();
    const a = await start(pipelineA, kvPrefix);
    // B only serves: the queued run must be worked by A, whose pipeline the test steers.
    const b = await start(new ScriptedPipeline(), kvPrefix, { RUN_WORKER: 'false' });

    const runId = await startRun(a, 'acme.com');
    const run = await pipelineA.started(runId);
    const overWs = subscribe({ transport: 'ws', ...b }, ENGAGEMENT_UPDATED, {
      domain: 'acme.com',
      runId,
    });
    const overSse = subscribe({ transport: 'sse', ...b }, ENGAGEMENT_UPDATED, {
      domain: 'acme.com',
      runId,
    });
    await Promise.all([overWs.waitFor(1), overSse.waitFor(1)]);
    await run.report({ stage: 'fetching_meetings' });
    await run.report({ stage: 'summarizing' });
    run.finish(sampleSummary());

    for (const sub of [overWs, overSse]) {
      expect(await sub.ended).toBe('complete');
      expect(
        sub.events.map(
          (e) => (e as { engagementUpdated: { version: number } }).engagementUpdated.version,
        ),
      ).toEqual([1, 2, 3, 4]);
      await sub.dispose();
    }
    const listed = await graphqlRequest<{ engagements: Array<{ runId: string; status: string }> }>(
      b.graphqlUrl,
      '{ engagements(domain: "acme.com") { runId status } }',
    );
    expect(listed.data?.engagements).toEqual([{ runId, status: 'COMPLETE' }]);
  });
});
