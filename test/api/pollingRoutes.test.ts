import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ScriptedPipeline, sampleSummary } from '../../support/scriptedPipeline.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';

const BASE = '/make-server-888f4514';

describe('the polling REST contract', () => {
  let server: TestApp;
  let pipeline: ScriptedPipeline;
  let redis: Redis;

  beforeAll(async () => {
    pipeline = new ScriptedPipeline();
    server = await startTestApp('redis', {}, { pipeline });
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    redis.disconnect();
    await server.close();
  });

  const post = (body: unknown) =>
    fetch(`${server.url}${BASE}/engagement-summary`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const status = (query: string) => fetch(`${server.url}${BASE}/engagement-status?${query}`);

  it('starts a run and answers with the old shape', async () => {
    const response = await post({ domain: 'https://www.Example.com/' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, string>;
    expect(body).toEqual({
      ok: true,
      domain: 'example.com',
      run_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'processing',
    });
  });

  it('returns the record exactly as stored, and [] for an unknown run', async () => {
    const { run_id } = (await (await post({ domain: 'example.com' })).json()) as { run_id: string };
    const run = await pipeline.started(run_id);
    await run.report({ stage: 'fetching_meetings', meetingsFound: 1 });
    run.finish(sampleSummary());
    await expect
      .poll(
        async () =>
          (
            (await (await status(`domain=example.com&run_id=${run_id}`)).json()) as Array<{
              status: string;
            }>
          )[0]?.status,
      )
      .toBe('complete');

    const response = await status(`domain=EXAMPLE.com&run_id=${run_id}`);
    expect(response.status).toBe(200);
    const text = await response.text();
    const stored = await redis.get(`${server.kvPrefix}engagement:example.com:${run_id}`);
    expect(text).toBe(`[${stored}]`);
    expect(JSON.parse(text)[0]).toMatchObject({
      domain: 'example.com',
      run_id,
      status: 'complete',
      progress: { stage: 'done', meetings_found: 1 },
      summary: { meetings_count: 1, goals: [{ meeting_ids: ['123456'] }] },
      error: null,
      version: 3,
    });

    const unknown = await status('domain=example.com&run_id=00000000-0000-4000-8000-000000000000');
    expect(await unknown.json()).toEqual([]);
  });

  it('answers 400 { ok: false, error } for a bad domain, run id or body', async () => {
    for (const response of [
      await status('domain=localhost&run_id=00000000-0000-4000-8000-000000000000'),
      await status('domain=example.com&run_id=nope'),
      await status('domain=example.com'),
      await post({ domain: '1.2.3.4' }),
      await post({}),
      await post('{not json'),
      await post({ domain: 42 }),
    ]) {
      expect(response.status).toBe(400);
      const body = (await response.json()) as { ok: boolean; error: string };
      expect(body.ok).toBe(false);
      expect(body.error.length).toBeGreaterThan(5);
    }
  });

  it("names REST's own parameters in its errors", async () => {
    const cases: Array<[Promise<Response>, string]> = [
      [status('domain=example.com&run_id=nope'), 'run_id must be a UUID'],
      [status('domain=example.com'), 'run_id is required'],
      [status('run_id=00000000-0000-4000-8000-000000000000'), 'domain is required'],
      [post({}), 'domain is required'],
      [post({ domain: 42 }), 'domain must be a string'],
      [post([]), 'The request body must be a JSON object such as {"domain": "example.com"}.'],
    ];
    for (const [response, error] of cases) {
      const answer = await response;
      expect(answer.status).toBe(400);
      const body = (await answer.json()) as { ok: boolean; error: string };
      expect(body).toEqual({ ok: false, error });
    }
  });

  it('refuses a body over the limit and allows cross-origin callers', async () => {
    const big = await post({ domain: 'example.com', padding: 'x'.repeat(64 * 1024) });
    expect(big.status).toBe(400);
    const preflight = await fetch(`${server.url}${BASE}/engagement-summary`, { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
  });
});

describe('the polling REST contract with auth', () => {
  it('needs the bearer token, like GraphQL', async () => {
    const server = await startTestApp('memory', { AUTH_TOKENS: 'secret-token-1234567890' });
    try {
      const refused = await fetch(`${server.url}${BASE}/engagement-summary`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ domain: 'example.com' }),
      });
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ ok: false });
      const accepted = await fetch(`${server.url}${BASE}/engagement-summary`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: 'Bearer secret-token-1234567890',
        },
        body: JSON.stringify({ domain: 'example.com' }),
      });
      expect(accepted.status).toBe(200);
      const { run_id } = (await accepted.json()) as { run_id: string };

      const status = `${server.url}${BASE}/engagement-status?domain=example.com&run_id=${run_id}`;
      const unread = await fetch(status);
      expect(unread.status).toBe(401);
      expect(await unread.json()).toMatchObject({ ok: false });
      const wrong = await fetch(status, { headers: { authorization: 'Bearer not-the-token' } });
      expect(wrong.status).toBe(401);
      const read = await fetch(status, {
        headers: { authorization: 'Bearer secret-token-1234567890' },
      });
      expect(read.status).toBe(200);
      expect(await read.json()).toEqual([
        expect.objectContaining({ domain: 'example.com', run_id, version: expect.any(Number) }),
      ]);
    } finally {
      await server.close();
    }
  });
});
