import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/model/runRecord.ts';
import { ENGAGEMENT_UPDATED, subscribe } from '../../support/graphqlClients.ts';
import { startRedisServer } from '../../support/redisServer.ts';
import { ScriptedPipeline, sampleSummary } from '../../support/scriptedPipeline.ts';
import { capturingLogger } from '../support/logCapture.ts';
import { startTestApp } from '../support/testApp.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Event = { engagementUpdated: { version: number; status: string } };

const RESYNC = 'pub/sub reconnected; catching open subscriptions up';
const resyncs = (lines: string[]) => lines.filter((l) => JSON.parse(l).msg === RESYNC).length;

describe('Redis restarted mid-run', () => {
  it('goes unready and back, and running subscriptions resume to the final state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engagement-redis-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const redis = await startRedisServer({ persistDir: dir });
    cleanups.push(() => redis.stop());
    const pipeline = new ScriptedPipeline();
    const { logger, lines } = capturingLogger();
    const server = await startTestApp('redis', { REDIS_URL: redis.url }, { pipeline, logger });
    cleanups.push(() => server.close());

    const run = await server.app.services.runs.start('acme.com');
    const controller = await pipeline.started(run.run_id);
    const subs = (['ws', 'sse'] as const).map((transport) =>
      subscribe<Event>({ transport, ...server }, ENGAGEMENT_UPDATED, {
        domain: 'acme.com',
        runId: run.run_id,
      }),
    );
    cleanups.push(...subs.map((s) => () => s.dispose()));
    await Promise.all(subs.map((s) => s.waitFor(1)));
    await controller.report({ stage: 'fetching_meetings' });
    await Promise.all(subs.map((s) => s.waitFor(2)));

    await redis.stop();
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    // The pipeline goes on while Redis is away: its writes wait for the connection.
    const reported = controller.report({ stage: 'summarizing', meetingsFound: 2 });
    await new Promise((r) => setTimeout(r, 1000));
    await redis.restart();
    await expect
      .poll(async () => (await fetch(`${server.url}/readyz`)).status, { timeout: 15_000 })
      .toBe(200);
    await reported;
    controller.finish(sampleSummary());

    // The service recovered, not the clients: its pub/sub connection came back and caught
    // the open watches up, while each client kept its one connection (they do not retry, so
    // a dropped connection would have ended them with an error).
    for (const sub of subs) {
      expect(await sub.ended).toBe('complete');
      expect(sub.errors).toEqual([]);
      // A state written while the service was not listening can be overtaken by the next
      // one before the catch-up reads the store: versions go up, none repeats.
      const versions = sub.events.map((e) => e.engagementUpdated.version);
      expect(versions.slice(0, 2)).toEqual([1, 2]);
      expect(versions.every((v, i) => i === 0 || v > (versions[i - 1] as number))).toBe(true);
      expect(sub.events.at(-1)?.engagementUpdated.status).toBe('COMPLETE');
    }
    expect(resyncs(lines)).toBeGreaterThanOrEqual(1);
    expect(await server.app.backend.store.listOverdue(Date.now() + 3_600_000, 10)).toEqual([]);

    // And the service keeps working: a new run goes through the queue to the end.
    const next = await server.app.services.runs.start('acme.com');
    (await pipeline.started(next.run_id)).finish(sampleSummary());
    const states: RunRecord[] = [];
    for await (const message of await server.app.services.runs.watch('acme.com', next.run_id)) {
      states.push(message as RunRecord);
    }
    expect(states.at(-1)?.status).toBe('complete');
  }, 60_000);
});

describe('the pub/sub connection dropped alone', () => {
  it('catches open subscriptions up with what was written while it was away', async () => {
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const admin = new Redis(redis.url);
    cleanups.push(() => void admin.disconnect());
    const pipeline = new ScriptedPipeline();
    const { logger, lines } = capturingLogger();
    const server = await startTestApp('redis', { REDIS_URL: redis.url }, { pipeline, logger });
    cleanups.push(() => server.close());
    const run = await server.app.services.runs.start('acme.com');
    const controller = await pipeline.started(run.run_id);
    const sub = subscribe<Event>({ transport: 'ws', ...server }, ENGAGEMENT_UPDATED, {
      domain: 'acme.com',
      runId: run.run_id,
    });
    cleanups.push(() => sub.dispose());
    await sub.waitFor(1);

    // Redis takes no new connection, so the pub/sub connection, once dropped, stays away
    // while the connections already open (commands, the queue) go on.
    const [, maxClients] = (await admin.config('GET', 'maxclients')) as [string, string];
    await admin.config('SET', 'maxclients', '1');
    cleanups.push(
      () =>
        void admin.config('SET', 'maxclients', maxClients).catch(() => {
          // A later cleanup stops this redis-server: the limit needs no undoing if this fails.
        }),
    );
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    controller.finish(sampleSummary());
    await expect
      .poll(async () => (await server.app.services.runs.get('acme.com', run.run_id))?.status)
      .toBe('complete');
    // The run's last notification went out while no one listened: nothing reached the client.
    await new Promise((r) => setTimeout(r, 300));
    expect(sub.events.map((e) => e.engagementUpdated.status)).toEqual(['PROCESSING']);
    expect(resyncs(lines)).toBe(0);

    // Back: the service resubscribes and catches the watch up from the store.
    await admin.config('SET', 'maxclients', maxClients);
    expect(await sub.ended).toBe('complete');
    expect(resyncs(lines)).toBe(1);
    expect(sub.errors).toEqual([]);
    expect(sub.events.map((e) => e.engagementUpdated.status)).toEqual(['PROCESSING', 'COMPLETE']);
  });
});
