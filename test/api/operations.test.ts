import { afterEach, describe, expect, it } from 'vitest';
import { startFakeFathom } from '../../support/fakes/fakeFathom.ts';
import { startFakeOpenAI } from '../../support/fakes/fakeOpenAI.ts';
import { buildMeetings } from '../../support/fakes/fathomFixtures.ts';
import {
  ENGAGEMENT_UPDATED,
  graphqlRequest,
  START,
  subscribe,
} from '../../support/graphqlClients.ts';
import { startRedisServer } from '../../support/redisServer.ts';
import { ScriptedPipeline } from '../../support/scriptedPipeline.ts';
import { runToEnd } from '../support/runHelpers.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function app(...args: Parameters<typeof startTestApp>): Promise<TestApp> {
  const server = await startTestApp(...args);
  cleanups.push(() => server.close());
  return server;
}

/** The value of an unlabelled metric in Prometheus text. */
function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ').pop()) : Number.NaN;
}

describe('/metrics', () => {
  it('counts runs by outcome, their duration, open subscriptions and upstream calls', async () => {
    const fathom = await startFakeFathom({
      meetings: buildMeetings({
        companies: [{ domain: 'acme.com', people: [{ name: 'Jane', email: 'jane@acme.com' }] }],
        meetingsPerCompany: 2,
      }),
    });
    const openai = await startFakeOpenAI();
    cleanups.push(
      () => fathom.close(),
      () => openai.close(),
    );
    const server = await app('memory', {
      FATHOM_API_KEY: 'fathom-test-key',
      FATHOM_BASE_URL: fathom.baseUrl,
      OPENAI_API_KEY: 'openai-test-key',
      OPENAI_BASE_URL: openai.baseUrl,
    });
    fathom.enqueue({ kind: 'status', status: 503 });
    await runToEnd(server.app, 'acme.com');
    // A new meeting, so that the next run asks the LLM (unchanged ones are not asked again).
    fathom.meetings.push(
      ...buildMeetings({
        companies: [{ domain: 'acme.com', people: [{ name: 'Jane', email: 'jane@acme.com' }] }],
        meetingsPerCompany: 1,
        startId: 200000,
      }),
    );
    openai.setDefault({ kind: 'status', status: 500 });
    await runToEnd(server.app, 'acme.com');

    const run = await server.app.services.runs.start('acme.com');
    const sub = subscribe({ transport: 'sse', ...server }, ENGAGEMENT_UPDATED, {
      domain: 'acme.com',
      runId: run.run_id,
    });
    await sub.waitFor(1);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    await sub.dispose();

    expect(metricValue(text, 'engagement_runs_started_total')).toBe(3);
    expect(metricValue(text, 'engagement_runs_completed_total')).toBe(1);
    expect(metricValue(text, 'engagement_runs_failed_total')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/engagement_run_duration_seconds_count\{outcome="complete"\} 1/);
    expect(text).toMatch(/engagement_open_subscriptions\{transport="sse"\} 1/);
    expect(text).toMatch(
      /engagement_upstream_call_duration_seconds_count\{upstream="fathom",operation="list_meetings",outcome="ok"\} [1-9]/,
    );
    expect(text).toMatch(
      /engagement_upstream_call_errors_total\{upstream="fathom",operation="list_meetings",outcome="http_503"\} 1/,
    );
    expect(text).toMatch(
      /engagement_upstream_call_errors_total\{upstream="llm",operation="chat_completion",outcome="http_500"\} 1/,
    );
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('leaves nothing open after a subscription refused over plain HTTP (406)', async () => {
    const server = await app('memory', {}, { pipeline: new ScriptedPipeline() });
    const run = await server.app.services.runs.start('acme.com');
    const openOverHttp = async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      return Number(/engagement_open_subscriptions\{transport="http"\} (\d+)/.exec(text)?.[1]);
    };
    // Subscriptions stream over SSE or WebSocket; asked for as JSON or multipart, Yoga
    // refuses them after they were set up.
    for (const accept of ['application/json', 'multipart/mixed']) {
      const response = await fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept },
        body: JSON.stringify({
          query: ENGAGEMENT_UPDATED,
          variables: { domain: 'acme.com', runId: run.run_id },
        }),
      });
      expect(response.status).toBe(406);
    }
    await expect.poll(openOverHttp).toBe(0);
  });

  it('needs the token when auth is on', async () => {
    const server = await app('memory', { AUTH_TOKENS: 'metrics-token-123' });
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const ok = await fetch(`${server.url}/metrics`, {
      headers: { authorization: 'Bearer metrics-token-123' },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/plain');
  });

  it('counts open WebSocket subscriptions and releases the count when they end', async () => {
    const server = await app('memory', {}, { pipeline: new ScriptedPipeline() });
    const started = await graphqlRequest<{ startEngagementSummary: { runId: string } }>(
      server.graphqlUrl,
      START,
      { domain: 'acme.com' },
    );
    const runId = started.data?.startEngagementSummary.runId;
    const subs = [1, 2, 3].map(() =>
      subscribe({ transport: 'ws', ...server }, ENGAGEMENT_UPDATED, { domain: 'acme.com', runId }),
    );
    await Promise.all(subs.map((s) => s.waitFor(1)));
    expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(
      /engagement_open_subscriptions\{transport="websocket"\} 3/,
    );
    await Promise.all(subs.map((s) => s.dispose()));
    await expect
      .poll(
        async () =>
          (await (await fetch(`${server.url}/metrics`)).text()).match(
            /engagement_open_subscriptions\{transport="websocket"\} (\d+)/,
          )?.[1],
      )
      .toBe('0');
  });
});

describe('/readyz', () => {
  it('answers 503 while Redis is down and 200 once it is back', async () => {
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const server = await app('redis', { REDIS_URL: redis.url });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    await redis.stop();
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    await redis.restart();
    await expect
      .poll(async () => (await fetch(`${server.url}/readyz`)).status, { timeout: 15_000 })
      .toBe(200);
  });
});
