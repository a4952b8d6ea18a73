import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { graphqlRequest, START } from '../support/graphqlClients.ts';
import { ScriptedPipeline } from '../support/scriptedPipeline.ts';
import { BACKENDS, startTestApp, type TestApp } from '../support/testApp.ts';

const INVALID_DOMAINS = [
  '',
  '   ',
  'acme com',
  '*',
  '*.acme.com',
  'acme.com:abc',
  '1.2.3.4',
  '[::1]',
  'localhost',
  'api.localhost',
  'com',
  'co.uk',
  `${'a'.repeat(64)}.com`,
  `${'abcdefghi.'.repeat(26)}com`,
  'acme..com',
  '-acme.com',
  'acme_corp.com',
  'ftp://acme.com',
  'acme.com%2F..%2Fother',
  'acme.com:99999',
  'engagement:acme.com:*',
  'acme.com\r\nSET x y',
];

describe.each(BACKENDS)('bad input on %s', (backend) => {
  let server: TestApp;
  let redis: Redis | undefined;

  beforeAll(async () => {
    server = await startTestApp(backend, {}, { pipeline: new ScriptedPipeline() });
    if (backend === 'redis') redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    redis?.disconnect();
    await server.close();
  });

  async function nothingWritten(): Promise<void> {
    if (redis) {
      const [, keys] = await redis.scan('0', 'MATCH', `${server.kvPrefix}*`, 'COUNT', 1000);
      // BullMQ keeps a few bookkeeping keys per queue; a job would carry the run's UUID.
      const written = keys.filter(
        (key) => !key.startsWith(`${server.kvPrefix}bull:`) || /[0-9a-f]{8}-[0-9a-f]{4}-/.test(key),
      );
      expect(written).toEqual([]);
    }
    expect(server.app.services.runs.openWatches).toBe(0);
  }

  it(`refuses each of ${INVALID_DOMAINS.length} invalid domains with BAD_USER_INPUT and writes nothing`, async () => {
    expect(INVALID_DOMAINS.length).toBeGreaterThanOrEqual(20);
    for (const domain of INVALID_DOMAINS) {
      const result = await graphqlRequest(server.graphqlUrl, START, { domain });
      expect(result.data ?? null, domain).toBeNull();
      expect(result.errors?.[0]?.extensions?.code, domain).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.message, domain).toMatch(/not a valid company domain/);

      const rest = await fetch(`${server.url}/make-server-888f4514/engagement-summary`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ domain }),
      });
      expect(rest.status, domain).toBe(400);
      expect(await rest.json()).toMatchObject({
        ok: false,
        error: expect.stringMatching(/domain/),
      });
    }
    await nothingWritten();
  });

  it('refuses a run id that is not a UUID, and a limit outside 1..100', async () => {
    for (const query of [
      '{ engagementStatus(domain: "acme.com", runId: "../../etc") { version } }',
      '{ engagement(domain: "acme.com", runId: "123") { version } }',
      'mutation { deleteEngagement(domain: "acme.com", runId: "*") }',
      '{ engagements(domain: "acme.com", limit: 0) { version } }',
      '{ engagements(domain: "acme.com", limit: 101) { version } }',
      '{ engagements(domain: "acme.com", limit: -5) { version } }',
      'mutation { deleteEngagements(domain: "*") }',
    ]) {
      const result = await graphqlRequest(server.graphqlUrl, query);
      expect(result.errors?.[0]?.extensions?.code, query).toBe('BAD_USER_INPUT');
    }
    // GraphQL's errors name GraphQL's argument (REST's name theirs: run_id).
    const badRunId = await graphqlRequest(
      server.graphqlUrl,
      '{ engagement(domain: "acme.com", runId: "123") { version } }',
    );
    expect(badRunId.errors?.[0]?.message).toBe('runId must be a UUID');
    await nothingWritten();
  });

  it('answers the polling query with [] for an unknown run and [run] for a known one', async () => {
    const unknown = await graphqlRequest<{ engagementStatus: unknown[] }>(
      server.graphqlUrl,
      '{ engagementStatus(domain: "acme.com", runId: "00000000-0000-4000-8000-000000000000") { version } }',
    );
    expect(unknown.data?.engagementStatus).toEqual([]);
    const started = await graphqlRequest<{ startEngagementSummary: { runId: string } }>(
      server.graphqlUrl,
      START,
      { domain: 'www.Known.com' },
    );
    const runId = started.data?.startEngagementSummary.runId;
    const known = await graphqlRequest<{ engagementStatus: unknown[] }>(
      server.graphqlUrl,
      `{ engagementStatus(domain: "known.com", runId: "${runId}") { domain runId status version } }`,
    );
    expect(known.data?.engagementStatus).toEqual([
      { domain: 'known.com', runId, status: 'PROCESSING', version: 1 },
    ]);
    await graphqlRequest(server.graphqlUrl, 'mutation { deleteEngagements(domain: "known.com") }');
  });
});
