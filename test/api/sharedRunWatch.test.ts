import { parse, print } from 'graphql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ENGAGEMENT_UPDATED,
  graphqlRequest,
  START,
  type Subscription,
  subscribe,
  type Transport,
} from '../../support/graphqlClients.ts';
import { ScriptedPipeline, sampleSummary } from '../../support/scriptedPipeline.ts';
import { BACKENDS, openSubscriptions, startTestApp, type TestApp } from '../support/testApp.ts';

type Watched = { engagementUpdated?: { version: number }; run?: { v: number; stage: string } };

const SMALL_WATCH = `subscription Small($domain: String!, $runId: ID!) {
  run: engagementUpdated(domain: $domain, runId: $runId) { ...Small }
}
fragment Small on EngagementRun { v: version stage: status }`;

/**
 * Subscribers of one run, over WebSocket and SSE alike, share one watch of it in the process:
 * one pub/sub subscription and one snapshot read, whatever their number and transport, with
 * each subscriber getting the states its own document asks for.
 */
describe.each(BACKENDS)('watchers of one run on %s', (backend) => {
  let server: TestApp;
  const open: Array<Subscription<Watched>> = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.dispose()));
    vi.restoreAllMocks();
    await server.close();
  });

  /**
   * The service with a scripted pipeline, and one run of acme.com started on it; with
   * `token`, the service accepts that token alone.
   */
  async function serveOneRun(token?: string) {
    const pipeline = new ScriptedPipeline();
    server = await startTestApp(backend, token ? { AUTH_TOKENS: token } : {}, { pipeline });
    const started = await graphqlRequest<{ startEngagementSummary: { runId: string } }>(
      server.graphqlUrl,
      START,
      { domain: 'acme.com' },
      token ? { authorization: `Bearer ${token}` } : {},
    );
    const runId = started.data?.startEngagementSummary.runId as string;
    return { runId, run: await pipeline.started(runId) };
  }

  it('share one subscription and one snapshot read across transports and documents', async () => {
    const { runId, run } = await serveOneRun();
    const reads = vi.spyOn(server.app.backend.store, 'get');
    const watch = (transport: Transport, query: string) => {
      const sub = subscribe<Watched>({ transport, ...server }, query, {
        domain: 'acme.com',
        runId,
      });
      open.push(sub);
      return sub;
    };

    // 25 subscribers: two documents, both transports, all subscribing at once.
    const full = Array.from({ length: 20 }, (_, i) =>
      watch(i % 2 === 0 ? 'ws' : 'sse', ENGAGEMENT_UPDATED),
    );
    const small = Array.from({ length: 5 }, (_, i) => watch(i < 3 ? 'ws' : 'sse', SMALL_WATCH));
    await Promise.all([...full, ...small].map((s) => s.waitFor(1)));
    expect(server.app.services.runs.watchedChannels).toBe(1);
    // Subscribers of one document share one execution of it, whatever their transport
    // (WebSocket operations join before envelop, streamed HTTP requests before Yoga runs
    // them): two documents, two watchers.
    expect(server.app.services.runs.openWatches).toBe(2);
    expect(reads.mock.calls.filter(([, id]) => id === runId)).toHaveLength(1);
    if (server.app.backend.redis) {
      const channel = server.app.keys.runChannel('acme.com', runId);
      expect(await server.app.backend.redis.call('PUBSUB', 'NUMSUB', channel)).toEqual([
        channel,
        1,
      ]);
    }
    expect(await openSubscriptions(server, 'websocket')).toBe(13);
    expect(await openSubscriptions(server, 'sse')).toBe(12);

    await run.report({ stage: 'fetching_meetings' });
    await run.report({ stage: 'fetching_meetings', meetingsFound: 1 });
    await Promise.all(full.map((s) => s.waitFor(3)));
    reads.mockClear(); // the pipeline's own writes read the run too
    // Subscribers who join the live watch start from its latest state, read from memory.
    const late = [watch('ws', ENGAGEMENT_UPDATED), watch('sse', ENGAGEMENT_UPDATED)];
    await Promise.all(late.map((s) => s.waitFor(1)));
    expect(reads.mock.calls.filter(([, id]) => id === runId)).toHaveLength(0);
    expect(server.app.services.runs.watchedChannels).toBe(1);
    await run.report({ stage: 'summarizing' });
    run.finish(sampleSummary());

    for (const sub of [...full, ...small, ...late]) expect(await sub.ended).toBe('complete');
    for (const sub of full) {
      expect(sub.events.map((e) => e.engagementUpdated?.version)).toEqual([1, 2, 3, 4, 5]);
      expect(sub.errors).toEqual([]);
    }
    for (const sub of late) {
      expect(sub.events.map((e) => e.engagementUpdated?.version)).toEqual([3, 4, 5]);
    }
    // Another document gets its own results from the same states.
    for (const sub of small) {
      expect(sub.events).toEqual([
        { run: { v: 1, stage: 'PROCESSING' } },
        { run: { v: 2, stage: 'PROCESSING' } },
        { run: { v: 3, stage: 'PROCESSING' } },
        { run: { v: 4, stage: 'PROCESSING' } },
        { run: { v: 5, stage: 'COMPLETE' } },
      ]);
    }
    await expect.poll(() => server.app.services.runs.openWatches).toBe(0);
    expect(server.app.services.runs.watchedChannels).toBe(0);
    expect(await openSubscriptions(server, 'websocket')).toBe(0);
    expect(await openSubscriptions(server, 'sse')).toBe(0);
  });

  it('answers each identical WebSocket subscription to an unknown run for itself', async () => {
    server = await startTestApp(backend);
    const unknown = { domain: 'acme.com', runId: '00000000-0000-4000-8000-000000000000' };
    const subs = Array.from({ length: 5 }, () => {
      const sub = subscribe<Watched>({ transport: 'ws', ...server }, ENGAGEMENT_UPDATED, unknown);
      open.push(sub);
      return sub;
    });
    for (const sub of subs) {
      await sub.ended;
      expect(
        sub.errors.map((e) => (e as { extensions?: { code?: string } }).extensions?.code),
      ).toEqual(['NOT_FOUND']);
    }
    expect(server.app.services.runs.openWatches).toBe(0);
    expect(await openSubscriptions(server, 'websocket')).toBe(0);
  });

  it('keeps a shared stream for those still subscribed, and releases it after the last', async () => {
    const { runId, run } = await serveOneRun();
    const subs = Array.from({ length: 3 }, () =>
      subscribe<Watched>({ transport: 'ws', ...server }, ENGAGEMENT_UPDATED, {
        domain: 'acme.com',
        runId,
      }),
    );
    await Promise.all(subs.map((s) => s.waitFor(1)));
    expect(await openSubscriptions(server, 'websocket')).toBe(3);
    const [first, second, third] = subs as [
      Subscription<Watched>,
      Subscription<Watched>,
      Subscription<Watched>,
    ];
    await first.dispose(); // the subscriber that opened the stream leaves first
    await expect.poll(() => openSubscriptions(server, 'websocket')).toBe(2);
    await run.report({ stage: 'fetching_meetings' });
    await Promise.all([second.waitFor(2), third.waitFor(2)]);
    await Promise.all([second.dispose(), third.dispose()]);
    await expect.poll(() => server.app.services.runs.openWatches).toBe(0);
    expect(await openSubscriptions(server, 'websocket')).toBe(0);
    run.finish(sampleSummary());
  });

  /** Subscribes to acme.com's run `runId` on `transport`, closed after the test. */
  const watchRun = (transport: Transport, runId: string, token?: string) => {
    const sub = subscribe<Watched>({ transport, ...server, token }, ENGAGEMENT_UPDATED, {
      domain: 'acme.com',
      runId,
    });
    open.push(sub);
    return sub;
  };
  const versions = (sub: Subscription<Watched>) =>
    sub.events.map((e) => e.engagementUpdated?.version);

  it('serves identical SSE and multipart subscriptions from one stream, each counted', async () => {
    const { runId, run } = await serveOneRun();
    const opener = watchRun('sse', runId);
    await opener.waitFor(1);
    const sse = Array.from({ length: 4 }, () => watchRun('sse', runId));
    const multipart = Array.from({ length: 5 }, () => watchRun('multipart', runId));
    await Promise.all([...sse, ...multipart].map((s) => s.waitFor(1)));
    // One stream per document: Apollo Client sends its own text of it (with __typename).
    expect(server.app.services.runs.openWatches).toBe(2);
    expect(await openSubscriptions(server, 'sse')).toBe(5);
    expect(await openSubscriptions(server, 'multipart')).toBe(5);

    await run.report({ stage: 'fetching_meetings' });
    await Promise.all([opener, ...sse, ...multipart].map((s) => s.waitFor(2)));
    // Those who join the live stream get the run's current state first.
    const late = [watchRun('sse', runId), watchRun('multipart', runId)];
    await Promise.all(late.map((s) => s.waitFor(1)));
    for (const sub of late) expect(versions(sub)).toEqual([2]);
    expect(server.app.services.runs.openWatches).toBe(2);

    // The subscriber that opened the stream leaves, and one multipart subscriber: the rest go on.
    const [leaving, ...staying] = multipart as [Subscription<Watched>, ...Subscription<Watched>[]];
    await Promise.all([opener.dispose(), leaving.dispose()]);
    await expect.poll(() => openSubscriptions(server, 'sse')).toBe(5);
    await expect.poll(() => openSubscriptions(server, 'multipart')).toBe(5);
    await run.report({ stage: 'summarizing' });
    run.finish(sampleSummary());

    for (const sub of [...sse, ...staying, ...late]) {
      expect(await sub.ended).toBe('complete');
      expect(sub.errors).toEqual([]);
    }
    for (const sub of [...sse, ...staying]) expect(versions(sub)).toEqual([1, 2, 3, 4]);
    for (const sub of late) expect(versions(sub)).toEqual([2, 3, 4]);
    await expect.poll(() => server.app.services.runs.openWatches).toBe(0);
    expect(await openSubscriptions(server, 'sse')).toBe(0);
    expect(await openSubscriptions(server, 'multipart')).toBe(0);
  });

  it('counts the subscribers of one stream under their own transports when the opener leaves', async () => {
    const { runId, run } = await serveOneRun();
    // Anonymous, and already with the __typename Apollo Client adds: both clients send the
    // same operation.
    const document = print(
      parse(`subscription ($domain: String!, $runId: ID!) {
        engagementUpdated(domain: $domain, runId: $runId) { __typename version }
      }`),
    );
    const watchTyped = (transport: Transport) => {
      const sub = subscribe<Watched>({ transport, ...server }, document, {
        domain: 'acme.com',
        runId,
      });
      open.push(sub);
      return sub;
    };
    const opener = watchTyped('sse');
    await opener.waitFor(1);
    const joiners = [watchTyped('multipart'), watchTyped('multipart')];
    await Promise.all(joiners.map((s) => s.waitFor(1)));
    expect(server.app.services.runs.openWatches).toBe(1);
    expect(await openSubscriptions(server, 'sse')).toBe(1);
    expect(await openSubscriptions(server, 'multipart')).toBe(2);
    await opener.dispose();
    await expect.poll(() => openSubscriptions(server, 'sse')).toBe(0);
    expect(await openSubscriptions(server, 'multipart')).toBe(2);
    await run.report({ stage: 'fetching_meetings' });
    await Promise.all(joiners.map((s) => s.waitFor(2)));
    await Promise.all(joiners.map((s) => s.dispose()));
    await expect.poll(() => server.app.services.runs.openWatches).toBe(0);
    expect(await openSubscriptions(server, 'multipart')).toBe(0);
    expect(await openSubscriptions(server, 'sse')).toBe(0);
    run.finish(sampleSummary());
  });

  it('releases an HTTP subscriber that left while the stream it joined was opening', async () => {
    const { runId, run } = await serveOneRun();
    const { store } = server.app.backend;
    const read = store.get.bind(store);
    let opening!: () => void;
    const opened = new Promise<void>((resolve) => (opening = resolve));
    const reads = vi.spyOn(store, 'get').mockImplementation(async (...args) => {
      await opened; // the run's snapshot read, held until the joiner has left
      return read(...args);
    });
    const opener = watchRun('sse', runId);
    await expect.poll(() => reads.mock.calls.some(([, id]) => id === runId)).toBe(true);
    const joiner = watchRun('sse', runId);
    // Counted as it joins; the opener is counted by its watch, once it has opened.
    await expect.poll(() => openSubscriptions(server, 'sse')).toBe(1);
    await joiner.dispose();
    await new Promise((resolve) => setTimeout(resolve, 100));
    opening();
    await opener.waitFor(1);
    await expect.poll(() => openSubscriptions(server, 'sse')).toBe(1);
    expect(joiner.events).toEqual([]);
    await opener.dispose();
    await expect.poll(() => server.app.services.runs.openWatches).toBe(0);
    expect(await openSubscriptions(server, 'sse')).toBe(0);
    run.finish(sampleSummary());
  });

  it('releases the watch of a shared HTTP stream when its last subscriber leaves', async () => {
    const { runId, run } = await serveOneRun();
    const subs = [
      watchRun('multipart', runId),
      watchRun('sse', runId),
      watchRun('multipart', runId),
      watchRun('sse', runId),
    ];
    await Promise.all(subs.map((s) => s.waitFor(1)));
    expect(server.app.services.runs.openWatches).toBe(2);
    for (const sub of subs) await sub.dispose();
    await expect.poll(() => server.app.services.runs.openWatches).toBe(0);
    expect(server.app.services.runs.watchedChannels).toBe(0);
    expect(await openSubscriptions(server, 'sse')).toBe(0);
    expect(await openSubscriptions(server, 'multipart')).toBe(0);
    run.finish(sampleSummary());
  });

  it('refuses an HTTP subscriber without a valid token while the shared stream goes on', async () => {
    const token = 'shared-stream-token-0123456789';
    const { runId, run } = await serveOneRun(token);
    const subs = [watchRun('sse', runId, token), watchRun('multipart', runId, token)];
    await Promise.all(subs.map((s) => s.waitFor(1)));
    for (const transport of ['sse', 'multipart'] as const) {
      for (const bad of [undefined, 'not-the-token']) {
        const refused = watchRun(transport, runId, bad);
        expect(await refused.ended).toBe('error');
        expect(refused.events).toEqual([]);
        expect(JSON.stringify(refused.errors)).toContain('"httpStatus":401');
      }
    }
    expect(await openSubscriptions(server, 'sse')).toBe(1);
    expect(await openSubscriptions(server, 'multipart')).toBe(1);
    await run.report({ stage: 'fetching_meetings' });
    run.finish(sampleSummary());
    for (const sub of subs) {
      expect(await sub.ended).toBe('complete');
      expect(versions(sub)).toEqual([1, 2, 3]);
    }
  });

  it('answers each identical HTTP subscription to an unknown run for itself', async () => {
    server = await startTestApp(backend);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const subs = Array.from({ length: 6 }, (_, i) =>
      watchRun(i % 2 === 0 ? 'sse' : 'multipart', unknown),
    );
    for (const sub of subs) {
      await sub.ended;
      expect(sub.events).toEqual([]);
      expect(
        sub.errors.map((e) => (e as { extensions?: { code?: string } }).extensions?.code),
      ).toEqual(['NOT_FOUND']);
    }
    expect(server.app.services.runs.openWatches).toBe(0);
    expect(await openSubscriptions(server, 'sse')).toBe(0);
    expect(await openSubscriptions(server, 'multipart')).toBe(0);
  });

  it('ends every subscriber of a failed shared HTTP stream with the error', async () => {
    const { runId, run } = await serveOneRun();
    const subs = [watchRun('sse', runId), watchRun('multipart', runId), watchRun('sse', runId)];
    await Promise.all(subs.map((s) => s.waitFor(1)));
    server.app.services.runs.endAllWatches('Kaboom: subscribe again.');
    for (const sub of subs) {
      await sub.ended;
      expect(JSON.stringify(sub.errors)).toContain('Kaboom: subscribe again.');
    }
    await expect.poll(() => server.app.services.runs.openWatches).toBe(0);
    expect(await openSubscriptions(server, 'sse')).toBe(0);
    expect(await openSubscriptions(server, 'multipart')).toBe(0);
    run.finish(sampleSummary());
  });
});
