import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeFathom } from '../../support/fakes/fakeFathom.ts';
import { startFakeOpenAI } from '../../support/fakes/fakeOpenAI.ts';
import { buildMeetings } from '../../support/fakes/fathomFixtures.ts';
import {
  ENGAGEMENT_UPDATED,
  graphqlRequest,
  START,
  type Subscription,
  subscribe,
} from '../../support/graphqlClients.ts';
import { startRedisServer } from '../../support/redisServer.ts';
import { startTestApp, type TestApp, uniquePrefix } from '../support/testApp.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Event = { engagementUpdated: { version: number; status: string } };

describe('KV_PREFIX', () => {
  it('is on every key and channel, and keeps two deployments on one Redis apart', async () => {
    // A Redis of its own: everything in it belongs to the two deployments below.
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const admin = new Redis(redis.url);
    cleanups.push(() => void admin.disconnect());

    // Every key any command touches, however briefly it lives (rate-limit windows expire).
    await admin.config('SET', 'notify-keyspace-events', 'KA');
    const touched = new Set<string>();
    const keyspace = new Redis(redis.url);
    cleanups.push(() => void keyspace.disconnect());
    keyspace.on('pmessage', (_pattern: string, channel: string) =>
      touched.add(channel.slice('__keyspace@0__:'.length)),
    );
    await keyspace.psubscribe('__keyspace@0__:*');

    const fathom = await startFakeFathom({
      meetings: buildMeetings({
        companies: [{ domain: 'acme.com', people: [{ name: 'Jane Doe', email: 'jane@acme.com' }] }],
        meetingsPerCompany: 2,
      }),
    });
    cleanups.push(() => fathom.close());
    // Slow enough that both runs are still open while their channels are looked at.
    fathom.setDefault({ kind: 'delay', ms: 3000 });
    const openai = await startFakeOpenAI();
    cleanups.push(() => openai.close());

    const prefixes = [uniquePrefix(), uniquePrefix()] as const;
    const apps: TestApp[] = [];
    for (const prefix of prefixes) {
      const app = await startTestApp('redis', {
        REDIS_URL: redis.url,
        KV_PREFIX: prefix,
        FATHOM_API_KEY: 'fathom-test-key',
        FATHOM_BASE_URL: fathom.baseUrl,
        OPENAI_API_KEY: 'openai-test-key',
        OPENAI_BASE_URL: openai.baseUrl,
        START_RATE_LIMIT: '1',
      });
      cleanups.push(() => app.close());
      apps.push(app);
    }
    const [a, b] = apps as [TestApp, TestApp];

    // The same company on both: a run each, watched over WebSocket and SSE.
    const runIds: string[] = [];
    const subs: Array<Subscription<Event>> = [];
    for (const app of apps) {
      const started = await graphqlRequest<{ startEngagementSummary: { runId: string } }>(
        app.graphqlUrl,
        START,
        { domain: 'acme.com' },
      );
      expect(started.errors).toBeUndefined();
      const runId = started.data?.startEngagementSummary.runId as string;
      runIds.push(runId);
      for (const transport of ['ws', 'sse'] as const) {
        const sub = subscribe<Event>({ transport, ...app }, ENGAGEMENT_UPDATED, {
          domain: 'acme.com',
          runId,
        });
        cleanups.push(() => sub.dispose());
        subs.push(sub);
      }
    }
    await Promise.all(subs.map((s) => s.waitFor(1)));

    // While the subscriptions are open: every channel is a prefixed one, and no pattern
    // subscription (which could reach across prefixes) exists but this test's own.
    const channels = (await admin.call('PUBSUB', 'CHANNELS', '*')) as string[];
    expect(channels).toEqual(
      expect.arrayContaining(
        prefixes.map((p, i) => `${p}engagement-updates:acme.com:${runIds[i] as string}`),
      ),
    );
    for (const channel of channels) {
      expect(
        prefixes.some((p) => channel.startsWith(p)),
        channel,
      ).toBe(true);
    }
    expect(await admin.call('PUBSUB', 'NUMPAT')).toBe(1);

    // The start limit of one deployment is its own: A is past it, B was not counted by A.
    const refused = await graphqlRequest(a.graphqlUrl, START, { domain: 'acme.com' });
    expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');

    for (const sub of subs) {
      expect(await sub.ended).toBe('complete');
      expect(sub.events.at(-1)?.engagementUpdated.status).toBe('COMPLETE');
    }

    // One deployment's runs are invisible to the other, over every way of looking.
    const [runA, runB] = runIds as [string, string];
    expect((await a.app.services.runs.list('acme.com', 10)).map((r) => r.run_id)).toEqual([runA]);
    expect((await b.app.services.runs.list('acme.com', 10)).map((r) => r.run_id)).toEqual([runB]);
    const status = await graphqlRequest<{ engagementStatus: unknown[] }>(
      b.graphqlUrl,
      `{ engagementStatus(domain: "acme.com", runId: "${runA}") { version } }`,
    );
    expect(status.data?.engagementStatus).toEqual([]);
    const rest = await fetch(
      `${b.url}/make-server-888f4514/engagement-status?domain=acme.com&run_id=${runA}`,
    );
    expect(await rest.json()).toEqual([]);
    const crossWatch = subscribe<Event>({ transport: 'ws', ...b }, ENGAGEMENT_UPDATED, {
      domain: 'acme.com',
      runId: runA,
    });
    cleanups.push(() => crossWatch.dispose());
    await crossWatch.ended;
    expect(crossWatch.events).toEqual([]);
    expect(JSON.stringify(crossWatch.errors)).toContain('NOT_FOUND');

    await Promise.all(apps.map((app) => app.close()));

    // Every key in the whole Redis, and every key ever touched, carries one of the prefixes;
    // and each deployment used every kind of key: records, queue, both rate limits, kept findings.
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await admin.scan(cursor, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    for (const key of [...keys, ...touched]) {
      expect(
        prefixes.some((p) => key.startsWith(p)),
        key,
      ).toBe(true);
    }
    for (const [i, prefix] of prefixes.entries()) {
      for (const kind of [
        `engagement:acme.com:${runIds[i] as string}`,
        'engagement-index:acme.com',
        'bull:',
        'rate-limit:start:',
        'rate-limit:fathom:',
        'findings:',
      ]) {
        expect(
          [...touched].some((key) => key.startsWith(`${prefix}${kind}`)),
          `${prefix}${kind}`,
        ).toBe(true);
      }
    }
  }, 60_000);
});
