import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ENGAGEMENT_UPDATED,
  graphqlRequest,
  START,
  subscribe,
  TRANSPORTS,
} from '../../support/graphqlClients.ts';
import { ScriptedPipeline } from '../../support/scriptedPipeline.ts';
import { BACKENDS, type BackendKind, startTestApp, type TestApp } from '../support/testApp.ts';

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

/** The keys a test wrote under its prefix, except BullMQ's per-queue bookkeeping. */
async function keysWritten(redis: Redis, prefix: string): Promise<string[]> {
  const [, keys] = await redis.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 1000);
  // BullMQ keeps a few bookkeeping keys per queue; a job would carry the run's UUID.
  return keys.filter(
    (key) => !key.startsWith(`${prefix}bull:`) || /[0-9a-f]{8}-[0-9a-f]{4}-/.test(key),
  );
}

/** One service (and a Redis client when on Redis) for the describe block that calls it. */
function serveForTheBlock(backend: BackendKind): { server: TestApp; redis?: Redis } {
  const served = {} as { server: TestApp; redis?: Redis };
  beforeAll(async () => {
    served.server = await startTestApp(backend, {}, { pipeline: new ScriptedPipeline() });
    if (backend === 'redis') served.redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    served.redis?.disconnect();
    await served.server.close();
  });
  return served;
}

describe.each(BACKENDS)('bad input on %s', (backend) => {
  const served = serveForTheBlock(backend);

  async function nothingWritten(): Promise<void> {
    if (served.redis) expect(await keysWritten(served.redis, served.server.kvPrefix)).toEqual([]);
    expect(served.server.app.services.runs.openWatches).toBe(0);
  }

  it(`refuses each of ${INVALID_DOMAINS.length} invalid domains with BAD_USER_INPUT and writes nothing`, async () => {
    expect(INVALID_DOMAINS.length).toBeGreaterThanOrEqual(20);
    for (const domain of INVALID_DOMAINS) {
      const result = await graphqlRequest(served.server.graphqlUrl, START, { domain });
      expect(result.data ?? null, domain).toBeNull();
      expect(result.errors?.[0]?.extensions?.code, domain).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.message, domain).toMatch(/not a valid company domain/);

      const rest = await fetch(`${served.server.url}/make-server-888f4514/engagement-summary`, {
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
      const result = await graphqlRequest(served.server.graphqlUrl, query);
      expect(result.errors?.[0]?.extensions?.code, query).toBe('BAD_USER_INPUT');
    }
    // GraphQL's errors name GraphQL's argument (REST's name theirs: run_id).
    const badRunId = await graphqlRequest(
      served.server.graphqlUrl,
      '{ engagement(domain: "acme.com", runId: "123") { version } }',
    );
    expect(badRunId.errors?.[0]?.message).toBe('runId must be a UUID');
    await nothingWritten();
  });

  it('answers the polling query with [] for an unknown run and [run] for a known one', async () => {
    const unknown = await graphqlRequest<{ engagementStatus: unknown[] }>(
      served.server.graphqlUrl,
      '{ engagementStatus(domain: "acme.com", runId: "00000000-0000-4000-8000-000000000000") { version } }',
    );
    expect(unknown.data?.engagementStatus).toEqual([]);
    const started = await graphqlRequest<{ startEngagementSummary: { runId: string } }>(
      served.server.graphqlUrl,
      START,
      { domain: 'www.Known.com' },
    );
    const runId = started.data?.startEngagementSummary.runId;
    const known = await graphqlRequest<{ engagementStatus: unknown[] }>(
      served.server.graphqlUrl,
      `{ engagementStatus(domain: "known.com", runId: "${runId}") { domain runId status version } }`,
    );
    expect(known.data?.engagementStatus).toEqual([
      { domain: 'known.com', runId, status: 'PROCESSING', version: 1 },
    ]);
    await graphqlRequest(
      served.server.graphqlUrl,
      'mutation { deleteEngagements(domain: "known.com") }',
    );
  });
});

// One of each class of control character (NUL, tab, line feed, carriage return, the last C0
// control, DEL) at the start, in the middle and at the end of an otherwise valid domain.
const CONTROLS = ['\u0000', '\t', '\n', '\r', '\u001f', '\u007f'];
const WITH_CONTROLS = CONTROLS.flatMap((c) => [`${c}acme.com`, `acme${c}.com`, `acme.com${c}`]);

describe.each(BACKENDS)('domains with control characters on %s', (backend) => {
  const served = serveForTheBlock(backend);

  const restStart = (domain: string) =>
    fetch(`${served.server.url}/make-server-888f4514/engagement-summary`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ domain }),
    });

  it(`refuses ${WITH_CONTROLS.length} of them when starting a run, over GraphQL and REST, and writes nothing`, async () => {
    for (const domain of WITH_CONTROLS) {
      const label = JSON.stringify(domain);
      const result = await graphqlRequest(served.server.graphqlUrl, START, { domain });
      expect(result.data ?? null, label).toBeNull();
      expect(result.errors?.[0]?.extensions?.code, label).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.message, label).toMatch(/control character/);

      const rest = await restStart(domain);
      expect(rest.status, label).toBe(400);
      expect(await rest.json(), label).toMatchObject({
        ok: false,
        error: expect.stringMatching(/control character/),
      });
    }
    expect(await served.server.app.services.runs.list('acme.com', 100)).toEqual([]);
    if (served.redis) expect(await keysWritten(served.redis, served.server.kvPrefix)).toEqual([]);
  });

  it('refuses them in queries, REST polling and subscriptions even when the clean domain has a run', async () => {
    const started = await graphqlRequest<{ startEngagementSummary: { runId: string } }>(
      served.server.graphqlUrl,
      START,
      { domain: 'acme.com' },
    );
    const runId = started.data?.startEngagementSummary.runId as string;
    expect(runId).toBeTruthy();

    for (const domain of WITH_CONTROLS) {
      const label = JSON.stringify(domain);
      const status = await graphqlRequest(
        served.server.graphqlUrl,
        'query($d: String!, $r: ID!) { engagementStatus(domain: $d, runId: $r) { version } }',
        { d: domain, r: runId },
      );
      expect(status.data ?? null, label).toBeNull();
      expect(status.errors?.[0]?.extensions?.code, label).toBe('BAD_USER_INPUT');
      const list = await graphqlRequest(
        served.server.graphqlUrl,
        'query($d: String!) { engagements(domain: $d) { runId } }',
        { d: domain },
      );
      expect(list.errors?.[0]?.extensions?.code, label).toBe('BAD_USER_INPUT');
      const deleted = await graphqlRequest(
        served.server.graphqlUrl,
        'mutation($d: String!) { deleteEngagements(domain: $d) }',
        { d: domain },
      );
      expect(deleted.errors?.[0]?.extensions?.code, label).toBe('BAD_USER_INPUT');

      const poll = await fetch(
        `${served.server.url}/make-server-888f4514/engagement-status?${new URLSearchParams({ domain, run_id: runId })}`,
      );
      expect(poll.status, label).toBe(400);

      for (const transport of TRANSPORTS) {
        const sub = subscribe({ transport, ...served.server }, ENGAGEMENT_UPDATED, {
          domain,
          runId,
        });
        await sub.ended;
        await sub.dispose();
        expect(sub.events, `${transport} ${label}`).toEqual([]);
        expect(JSON.stringify(sub.errors), `${transport} ${label}`).toContain('BAD_USER_INPUT');
      }
    }
    // The clean domain's one run is still there, alone, and nothing watches it.
    const runs = await served.server.app.services.runs.list('acme.com', 100);
    expect(runs.map((run) => run.run_id)).toEqual([runId]);
    expect(served.server.app.services.runs.openWatches).toBe(0);
  });
});
