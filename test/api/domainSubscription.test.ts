import { afterEach, describe, expect, it, vi } from 'vitest';
import type { InProcessEventBus } from '../../src/pubsub/inProcessEventBus.ts';
import {
  ENGAGEMENTS_UPDATED,
  graphqlRequest,
  START,
  type Subscription,
  subscribe,
  TRANSPORTS,
  type Transport,
} from '../../support/graphqlClients.ts';
import { ScriptedPipeline, sampleSummary } from '../../support/scriptedPipeline.ts';
import {
  BACKENDS,
  openSubscriptions,
  startTestApp,
  type TestApp,
  uniquePrefix,
} from '../support/testApp.ts';

interface DomainEvent {
  engagementsUpdated: {
    domain: string;
    runId: string;
    version: number;
    status: string;
    progress: { stage: string };
    summary: { meetingsCount: number } | null;
  };
}

/** What a subscriber saw, as `runId@version STATUS` in arrival order. */
const seen = (sub: Subscription<DomainEvent>, runIds: string[]) =>
  sub.events.map((e) => {
    const run = e.engagementsUpdated;
    return `${runIds.indexOf(run.runId)}@${run.version} ${run.status}`;
  });

describe.each(BACKENDS)('engagementsUpdated on %s', (backend) => {
  const servers: TestApp[] = [];
  const open: Array<Subscription<DomainEvent>> = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.dispose()));
    vi.restoreAllMocks();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function serve(env: Record<string, string> = {}) {
    const pipeline = new ScriptedPipeline();
    const server = await startTestApp(backend, env, { pipeline });
    servers.push(server);
    return { server, pipeline };
  }

  async function startRun(server: TestApp, domain = 'acme.com', token?: string) {
    const result = await graphqlRequest<{ startEngagementSummary: { runId: string } }>(
      server.graphqlUrl,
      START,
      { domain },
      token ? { authorization: `Bearer ${token}` } : undefined,
    );
    expect(result.errors).toBeUndefined();
    return result.data?.startEngagementSummary.runId as string;
  }

  function follow(server: TestApp, transport: Transport, domain = 'acme.com', token?: string) {
    const sub = subscribe<DomainEvent>({ transport, ...server, token }, ENGAGEMENTS_UPDATED, {
      domain,
    });
    open.push(sub);
    return sub;
  }

  describe.each(TRANSPORTS)('over %s', (transport) => {
    it("starts from the newest run's current state, then every state of every run, never completing", async () => {
      const { server, pipeline } = await serve();
      const older = await startRun(server);
      (await pipeline.started(older)).finish(sampleSummary());
      const newest = await startRun(server);
      const newestRun = await pipeline.started(newest);
      await newestRun.report({ stage: 'fetching_meetings' });
      await startRun(server, 'globex.com'); // another company: never on this stream

      const sub = follow(server, transport, 'https://www.ACME.com/about');
      await sub.waitFor(1);
      expect(sub.events[0]?.engagementsUpdated).toMatchObject({
        domain: 'acme.com',
        runId: newest,
        version: 2,
        progress: { stage: 'FETCHING_MEETINGS' },
      });

      await newestRun.report({ stage: 'summarizing' });
      newestRun.finish(sampleSummary());
      await sub.waitFor(3);
      // A run started later, by anyone, arrives on the same subscription.
      const later = await startRun(server);
      const laterRun = await pipeline.started(later);
      await laterRun.report({ stage: 'fetching_meetings' });
      laterRun.fail('FATHOM_API_KEY is not set.');
      await sub.waitFor(6);

      const runIds = [older, newest, later];
      expect(seen(sub, runIds)).toEqual([
        '1@2 PROCESSING',
        '1@3 PROCESSING',
        '1@4 COMPLETE',
        '2@1 PROCESSING',
        '2@2 PROCESSING',
        '2@3 ERROR',
      ]);
      expect(sub.errors).toEqual([]);
      // Terminal states end runs, not the stream.
      const outcome = await Promise.race([
        sub.ended,
        new Promise((resolve) => setTimeout(() => resolve('still open'), 300)),
      ]);
      expect(outcome).toBe('still open');
      expect(server.app.services.runs.openWatches).toBe(1);
    });

    it('delivers the states of runs that overlap in order per run', async () => {
      const { server, pipeline } = await serve();
      const sub = follow(server, transport);
      // No run yet: nothing to start from, and the stream stays open for the first one.
      await expect.poll(() => server.app.services.runs.openWatches).toBe(1);
      expect(sub.events).toEqual([]);
      const first = await startRun(server);
      const second = await startRun(server);
      const [a, b] = [await pipeline.started(first), await pipeline.started(second)];
      for (let step = 0; step < 3; step++) {
        await a.report({ stage: 'fetching_meetings', meetingsFound: step });
        await b.report({ stage: 'fetching_meetings', meetingsFound: step });
      }
      a.finish(sampleSummary());
      b.finish(sampleSummary());
      await sub.waitFor(10);
      for (const runId of [first, second]) {
        const versions = sub.events
          .map((e) => e.engagementsUpdated)
          .filter((run) => run.runId === runId)
          .map((run) => run.version);
        expect(versions).toEqual([1, 2, 3, 4, 5]);
      }
    });

    it('refuses an invalid domain with BAD_USER_INPUT and opens no watch', async () => {
      const { server } = await serve();
      for (const domain of ['', 'acme com', '*', 'localhost', '1.2.3.4', 'acme.com\n']) {
        const sub = follow(server, transport, domain);
        await sub.ended;
        expect(sub.events, domain).toEqual([]);
        expect(sub.errors, domain).toEqual([
          expect.objectContaining({
            extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
          }),
        ]);
      }
      expect(server.app.services.runs.openWatches).toBe(0);
      expect(server.app.services.runs.watchedChannels).toBe(0);
    });

    it('needs a token when auth is on, like engagementUpdated', async () => {
      const { server, pipeline } = await serve({ AUTH_TOKENS: 'secret-token' });
      const refused = follow(server, transport);
      expect(await refused.ended).toBe('error');
      expect(refused.events).toEqual([]);
      if (transport === 'ws')
        expect(JSON.stringify(refused.errors)).toMatch(/"closeCode":44(03|01)/);
      else expect(JSON.stringify(refused.errors)).toContain('"httpStatus":401');
      expect(server.app.services.runs.openWatches).toBe(0);

      const sub = follow(server, transport, 'acme.com', 'secret-token');
      await expect.poll(() => server.app.services.runs.openWatches).toBe(1);
      const runId = await startRun(server, 'acme.com', 'secret-token');
      (await pipeline.started(runId)).finish(sampleSummary());
      await sub.waitFor(2);
      expect(sub.events.map((e) => e.engagementsUpdated.status)).toEqual([
        'PROCESSING',
        'COMPLETE',
      ]);
    });

    it('skips deletions without ending, and starts a later joiner from the next newest run', async () => {
      const { server, pipeline } = await serve();
      const kept = await startRun(server);
      (await pipeline.started(kept)).finish(sampleSummary());
      const deleted = await startRun(server);
      await pipeline.started(deleted);
      const sub = follow(server, transport);
      await sub.waitFor(1);
      expect(sub.events[0]?.engagementsUpdated.runId).toBe(deleted);
      const removed = await graphqlRequest(
        server.graphqlUrl,
        'mutation($d: String!, $r: ID!) { deleteEngagement(domain: $d, runId: $r) }',
        { d: 'acme.com', r: deleted },
      );
      expect(removed.data).toEqual({ deleteEngagement: true });
      // The shared watch now starts joiners from the newest run still stored.
      await expect
        .poll(async () => {
          const joiner = follow(server, transport);
          // Until the store is read again, a joiner has no run to start from.
          await Promise.race([joiner.waitFor(1), new Promise((r) => setTimeout(r, 300))]);
          await joiner.dispose();
          return joiner.events[0]?.engagementsUpdated.runId;
        })
        .toBe(kept);
      const next = await startRun(server);
      (await pipeline.started(next)).finish(sampleSummary());
      await sub.waitFor(3);
      expect(sub.errors).toEqual([]);
      expect(sub.events.map((e) => e.engagementsUpdated.runId)).toEqual([deleted, next, next]);
    });
  });

  it('counts its subscribers in the open-subscriptions gauge and shares one watch per domain', async () => {
    const { server, pipeline } = await serve();
    const runId = await startRun(server);
    const run = await pipeline.started(runId);
    const list = vi.spyOn(server.app.backend.store, 'list');
    const subs = [
      ...Array.from({ length: 3 }, () => follow(server, 'ws')),
      ...Array.from({ length: 2 }, () => follow(server, 'sse')),
    ];
    await Promise.all(subs.map((s) => s.waitFor(1)));
    expect(await openSubscriptions(server, 'websocket')).toBe(3);
    expect(await openSubscriptions(server, 'sse')).toBe(2);
    // One watch of the domain (one pub/sub subscription, one snapshot read) for all five.
    expect(server.app.services.runs.watchedChannels).toBe(1);
    expect(list.mock.calls.filter(([domain]) => domain === 'acme.com')).toHaveLength(1);
    if (server.app.backend.redis) {
      const channel = server.app.keys.domainChannel('acme.com');
      expect(await server.app.backend.redis.call('PUBSUB', 'NUMSUB', channel)).toEqual([
        channel,
        1,
      ]);
    }
    run.finish(sampleSummary());
    await Promise.all(subs.map((s) => s.waitFor(2)));
    for (const sub of subs) {
      expect(sub.events.map((e) => e.engagementsUpdated.version)).toEqual([1, 2]);
    }
    await Promise.all(open.splice(0).map((s) => s.dispose()));
    await expect.poll(() => openSubscriptions(server, 'websocket')).toBe(0);
    await expect.poll(() => openSubscriptions(server, 'sse')).toBe(0);
    expect(server.app.services.runs.openWatches).toBe(0);
    expect(server.app.services.runs.watchedChannels).toBe(0);
  });
});

describe('engagementsUpdated after pub/sub messages were lost', () => {
  it('catches up from the store: newer states of known runs and runs started since, nothing older', async () => {
    const pipeline = new ScriptedPipeline();
    const server = await startTestApp('memory', {}, { pipeline });
    try {
      const old = await graphqlRequest<{ startEngagementSummary: { runId: string } }>(
        server.graphqlUrl,
        START,
        { domain: 'acme.com' },
      );
      const oldId = old.data?.startEngagementSummary.runId as string;
      (await pipeline.started(oldId)).finish(sampleSummary());
      const knownId = (await server.app.services.runs.start('acme.com')).run_id;
      const known = await pipeline.started(knownId);
      const sub = subscribe<DomainEvent>({ transport: 'ws', ...server }, ENGAGEMENTS_UPDATED, {
        domain: 'acme.com',
      });
      await sub.waitFor(1);

      // The domain's channel goes quiet, as when the pub/sub connection drops.
      const bus = server.app.backend.events as InProcessEventBus;
      const publish = bus.publish.bind(bus);
      const domainChannel = server.app.keys.domainChannel('acme.com');
      const dropping = vi
        .spyOn(bus, 'publish')
        .mockImplementation((channel, json) =>
          channel === domainChannel ? 0 : publish(channel, json),
        );
      await known.report({ stage: 'fetching_meetings' });
      known.finish(sampleSummary());
      const laterId = (await server.app.services.runs.start('acme.com')).run_id;
      await pipeline.started(laterId);
      await expect
        .poll(async () => (await server.app.services.runs.get('acme.com', knownId))?.version)
        .toBe(3);
      dropping.mockRestore();
      expect(sub.events).toHaveLength(1);

      await server.app.services.runs.resyncWatches();
      await sub.waitFor(3);
      const runIds = [oldId, knownId, laterId];
      expect(seen(sub, runIds)).toEqual(['1@1 PROCESSING', '1@3 COMPLETE', '2@1 PROCESSING']);
      await sub.dispose();
    } finally {
      await server.close();
    }
  });
});

describe('engagementsUpdated across two instances sharing a Redis', () => {
  const servers: TestApp[] = [];
  const open: Array<Subscription<DomainEvent>> = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.dispose()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it.each(TRANSPORTS)(
    'shows a run started through one instance to a %s subscriber of the other',
    async (transport) => {
      const pipeline = new ScriptedPipeline();
      const env = { KV_PREFIX: uniquePrefix() };
      const starter = await startTestApp('redis', { ...env, RUN_WORKER: 'false' });
      const watcher = await startTestApp('redis', env, { pipeline });
      servers.push(starter, watcher);
      const sub = subscribe<DomainEvent>({ transport, ...watcher }, ENGAGEMENTS_UPDATED, {
        domain: 'acme.com',
      });
      open.push(sub);
      await expect.poll(() => watcher.app.services.runs.openWatches).toBe(1);

      const started = await graphqlRequest<{ startEngagementSummary: { runId: string } }>(
        starter.graphqlUrl,
        START,
        { domain: 'acme.com' },
      );
      const runId = started.data?.startEngagementSummary.runId as string;
      const run = await pipeline.started(runId);
      await run.report({ stage: 'fetching_meetings' });
      run.finish(sampleSummary());
      await sub.waitFor(3);
      expect(sub.events.map((e) => e.engagementsUpdated)).toEqual([
        expect.objectContaining({ runId, version: 1, status: 'PROCESSING' }),
        expect.objectContaining({
          runId,
          version: 2,
          progress: expect.objectContaining({ stage: 'FETCHING_MEETINGS' }),
        }),
        expect.objectContaining({ runId, version: 3, status: 'COMPLETE' }),
      ]);
    },
  );
});
