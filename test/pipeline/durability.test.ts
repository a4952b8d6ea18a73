import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { RunRecord } from '../../src/model/runRecord.ts';
import { startFakeFathom } from '../../support/fakes/fakeFathom.ts';
import { startFakeOpenAI } from '../../support/fakes/fakeOpenAI.ts';
import { buildMeetings } from '../../support/fakes/fathomFixtures.ts';
import { startRedisServer } from '../../support/redisServer.ts';
import { watchToEnd } from '../support/runHelpers.ts';
import { startTestApp, type TestApp, uniquePrefix } from '../support/testApp.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const COMPANY = {
  domain: 'acme.com',
  people: [{ name: 'Jane Doe', email: 'jane@acme.com' }],
};

async function upstreams() {
  const fathom = await startFakeFathom({
    meetings: buildMeetings({ companies: [COMPANY], meetingsPerCompany: 3 }),
  });
  const openai = await startFakeOpenAI();
  cleanups.push(
    () => fathom.close(),
    () => openai.close(),
  );
  return { fathom, openai };
}

function sharedEnv(fathomUrl: string, openaiUrl: string, extra: Record<string, string>) {
  return {
    REDIS_URL: inject('redisUrl'),
    KV_PREFIX: uniquePrefix(),
    FATHOM_API_KEY: 'fathom-test-key',
    FATHOM_BASE_URL: fathomUrl,
    OPENAI_API_KEY: 'openai-test-key',
    OPENAI_BASE_URL: openaiUrl,
    WORKER_LOCK_MS: '1000',
    SWEEP_INTERVAL_MS: '300',
    LOG_LEVEL: 'silent',
    ...extra,
  };
}

async function app(env: Record<string, string>): Promise<TestApp> {
  const server = await startTestApp('redis', env);
  cleanups.push(() => server.close());
  return server;
}

/** Starts `npm run worker` as its own process and waits until it says it is working. */
async function spawnWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(() => {
    child.kill('SIGKILL');
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  await expect.poll(() => output, { timeout: 30_000 }).toContain('worker started');
  return child;
}

async function untilEnded(server: TestApp, runId: string): Promise<RunRecord> {
  const states = await watchToEnd(server.app, 'acme.com', runId);
  return states[states.length - 1] as RunRecord;
}

describe('a worker killed mid-run (Redis, BullMQ)', () => {
  it('has its run retried by another worker', async () => {
    const { fathom, openai } = await upstreams();
    const env = sharedEnv(fathom.baseUrl, openai.baseUrl, { RUN_TIMEOUT_MS: '20000' });
    const api = await app({ ...env, RUN_WORKER: 'false' });
    const worker = await spawnWorker(env);

    fathom.enqueue({ kind: 'hang' });
    const run = await api.app.services.runs.start('acme.com');
    await expect.poll(() => fathom.requests.length, { timeout: 15_000 }).toBe(1);
    worker.kill('SIGKILL');
    await new Promise((resolve) => worker.once('exit', resolve));

    const rescuer = await app({ ...env, RUN_WORKER: 'true' });
    const final = await untilEnded(rescuer, run.run_id);
    expect(final.status).toBe('complete');
    expect(final.summary?.meetings_count).toBe(3);
    // The killed worker's call, then the rescuer's once the killed worker's lease lapsed: its
    // listing by domain, then by the company's people.
    expect(fathom.requests.map((r) => r.query.has('calendar_invitees[]'))).toEqual([
      false,
      false,
      true,
    ]);
    // The contract's bound: no run stays PROCESSING beyond RUN_TIMEOUT_MS + 30 s.
    const openFor = Date.parse(final.updated_at) - Date.parse(final.created_at);
    expect(openFor).toBeLessThanOrEqual(20_000 + 30_000);
  });

  it('has its run ended as ERROR by the deadline sweeper when no worker is left', async () => {
    const { fathom, openai } = await upstreams();
    const env = sharedEnv(fathom.baseUrl, openai.baseUrl, { RUN_TIMEOUT_MS: '5000' });
    const api = await app({ ...env, RUN_WORKER: 'false' });
    const worker = await spawnWorker(env);

    fathom.setDefault({ kind: 'hang' });
    const run = await api.app.services.runs.start('acme.com');
    await expect.poll(() => fathom.requests.length, { timeout: 15_000 }).toBe(1);
    worker.kill('SIGKILL');

    const final = await untilEnded(api, run.run_id);
    expect(final.status).toBe('error');
    expect(final.error).toMatch(/deadline \(RUN_TIMEOUT_MS=5000 ms\)/);
    const openFor = Date.parse(final.updated_at) - Date.parse(final.created_at);
    expect(openFor).toBeGreaterThanOrEqual(5000);
    expect(openFor).toBeLessThan(5000 + 30_000);
    expect(await api.app.backend.store.listOverdue(Date.now() + 60_000, 10)).toEqual([]);
  });
});

/** Every slot the Fathom limiter grants, as the limiter's script writes it into Redis. */
async function watchGrantedSlots(redisUrl: string): Promise<Array<{ key: string; at: number }>> {
  const granted: Array<{ key: string; at: number }> = [];
  const monitor = await new Redis(redisUrl).monitor();
  cleanups.push(() => monitor.disconnect());
  // acquireRateSlot.lua: `ZADD <prefix>rate-limit:fathom:calls <redis ms> <member>` when it
  // grants a call. Redis runs scripts one at a time, so the monitor sees them in grant order.
  monitor.on('monitor', (_time: string, args: string[]) => {
    const [command, key, score] = args;
    if (command?.toUpperCase() === 'ZADD' && key?.includes('rate-limit:fathom:')) {
      granted.push({ key, at: Number(score) });
    }
  });
  return granted;
}

describe('many runs at once on several instances', () => {
  it('stay within the Fathom rate limit shared by the deployment', async () => {
    // A Redis of its own: MONITOR then sees only this deployment.
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const granted = await watchGrantedSlots(redis.url);
    const { fathom, openai } = await upstreams();
    const env = sharedEnv(fathom.baseUrl, openai.baseUrl, {
      REDIS_URL: redis.url,
      FATHOM_RATE_LIMIT: '4',
      FATHOM_RATE_WINDOW_MS: '1000',
      RUN_TIMEOUT_MS: '30000',
      // Runs wait seconds for their turn here: a short lock would let BullMQ take a waiting
      // run for a stalled one and run it twice.
      WORKER_LOCK_MS: '30000',
    });
    const instances = [await app(env), await app(env)];
    const runs = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (instances[i % 2] as TestApp).app.services.runs.start('acme.com'),
      ),
    );
    const finals = await Promise.all(
      runs.map((run) => untilEnded(instances[0] as TestApp, run.run_id)),
    );
    expect(finals.map((f) => f.status)).toEqual(Array(12).fill('complete'));
    // Two calls a run: its listing by domain and by the company's people (one page each).
    expect(fathom.requests).toHaveLength(24);

    // What the limiter decided, on the Redis clock: one slot per call, all counted in one
    // window shared by both instances, never a fifth slot within 1000 ms of four others.
    // (When requests happen to arrive at the fake says nothing: a busy machine bunches them.)
    expect(granted).toHaveLength(24);
    expect(new Set(granted.map((g) => g.key)).size).toBe(1);
    for (const [i, slot] of granted.entries()) {
      const inWindow = granted.slice(0, i).filter((earlier) => earlier.at > slot.at - 1000);
      expect(inWindow.length, `slot ${i} at ${slot.at}`).toBeLessThanOrEqual(3);
    }
  });
});
