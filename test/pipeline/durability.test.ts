import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { RunRecord } from '../../src/kv/runRecord.ts';
import { startFakeFathom } from '../fakes/fakeFathom.ts';
import { startFakeOpenAI } from '../fakes/fakeOpenAI.ts';
import { buildMeetings } from '../fakes/fathomFixtures.ts';
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

    const started = Date.now();
    const rescuer = await app({ ...env, RUN_WORKER: 'true' });
    const final = await untilEnded(rescuer, run.run_id);
    expect(final.status).toBe('complete');
    expect(final.summary?.meetings_count).toBe(3);
    // The killed worker's call, then the rescuer's once the killed worker's lease lapsed.
    expect(fathom.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(15_000);
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
    expect(openFor).toBeLessThan(5000 + 30_000);
    expect(await api.app.backend.store.listOverdue(Date.now() + 60_000, 10)).toEqual([]);
  });
});

describe('many runs at once on several instances', () => {
  it('stay within the Fathom rate limit shared by the deployment', async () => {
    const { fathom, openai } = await upstreams();
    const env = sharedEnv(fathom.baseUrl, openai.baseUrl, {
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

    const times = fathom.requests.map((r) => r.at).sort((a, b) => a - b);
    expect(times).toHaveLength(12);
    // The limiter paces when calls are made; on a loaded machine their arrival can bunch up
    // by a few hundred ms. Half-window buckets tolerate that and still tell coordination
    // apart: two instances pacing on their own would each put 4 calls into one of them.
    for (const [i, at] of times.entries()) {
      const inHalfWindow = times.slice(i).filter((t) => t < at + 500).length;
      expect(inHalfWindow).toBeLessThanOrEqual(4);
    }
    expect((times[11] as number) - (times[0] as number)).toBeGreaterThanOrEqual(1900);
  });
});
