import { randomBytes } from 'node:crypto';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  EngagementsDocument,
  type EngagementsQuery,
  type StartEngagementSummaryMutation,
} from '../../src/generated/graphql.ts';
import type { RunRecord } from '../../src/model/runRecord.ts';
import {
  ENGAGEMENTS_UPDATED,
  graphqlRequest,
  START,
  subscribe,
  TRANSPORTS,
} from '../../support/graphqlClients.ts';
import { ScriptedPipeline } from '../../support/scriptedPipeline.ts';
import { signedDelivery, webhookKey } from '../support/fathomWebhookSigning.ts';
import { capturingLogger } from '../support/logCapture.ts';
import { BACKENDS, startTestApp, type TestApp } from '../support/testApp.ts';

const { key: KEY, secret: SECRET } = webhookKey();

/** Signs a delivery as Fathom does, with this file's key unless another is given. */
function signed(body: string, options: { id?: string; at?: number; key?: Buffer } = {}) {
  return signedDelivery(body, options.key ?? KEY, options);
}

const meeting = (recordingId: number, externalDomains: string[]) => ({
  title: 'Weekly sync',
  recording_id: recordingId,
  url: `https://fathom.video/calls/${recordingId}`,
  created_at: new Date().toISOString(),
  calendar_invitees: [
    { name: 'Sam', email: 'sam@ourteam.io', email_domain: 'ourteam.io', is_external: false },
    ...externalDomains.map((domain) => ({
      name: `Someone at ${domain}`,
      email: `someone@${domain}`,
      email_domain: domain,
      is_external: true,
    })),
  ],
});

describe.each(BACKENDS)('POST /webhooks/fathom (%s)', (backend) => {
  let server: TestApp;
  const logs = capturingLogger('trace');

  beforeAll(async () => {
    server = await startTestApp(
      backend,
      { FATHOM_WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'trace' },
      { pipeline: new ScriptedPipeline({ stepDelayMs: 1 }), logger: logs.logger },
    );
    // acme.com is followed (a run is stored); globex.com never was.
    await server.app.services.runs.start('acme.com');
  });
  afterAll(() => server.close());

  const deliver = (body: string, headers: Record<string, string>) =>
    fetch(`${server.url}/webhooks/fathom`, { method: 'POST', headers, body });
  const runsOf = async (domain: string) =>
    (await server.app.services.runs.list(domain, 100)).length;

  it('answers a valid delivery at once, then starts a run of each followed company in it', async () => {
    const body = JSON.stringify(meeting(501, ['ACME.com', 'globex.com']));
    const response = await deliver(body, signed(body).headers);
    expect(response.status).toBe(202);
    await vi.waitFor(async () => expect(await runsOf('acme.com')).toBe(2));
    expect(await runsOf('globex.com')).toBe(0);
  });

  it.each(TRANSPORTS)(
    'pushes the run it starts to engagementsUpdated subscribers over %s',
    async (transport) => {
      type Event = { engagementsUpdated: { runId: string; status: string; version: number } };
      const sub = subscribe<Event>({ transport, ...server }, ENGAGEMENTS_UPDATED, {
        domain: 'acme.com',
      });
      try {
        await sub.waitFor(1); // the newest stored run's current state
        const stored = await server.app.services.runs.list('acme.com', 100);
        const known = new Set(stored.map((run) => run.run_id));
        expect(known.has(sub.events[0]?.engagementsUpdated.runId as string)).toBe(true);
        const body = JSON.stringify(meeting(510, ['acme.com']));
        expect((await deliver(body, signed(body).headers)).status).toBe(202);
        // Runs started before may still be writing; the webhook's is the one not stored before.
        const statesOfNewRun = () =>
          sub.events.map((e) => e.engagementsUpdated).filter((run) => !known.has(run.runId));
        await vi.waitFor(() => expect(statesOfNewRun().at(-1)?.status).toBe('COMPLETE'));
        const states = statesOfNewRun();
        expect(new Set(states.map((run) => run.runId)).size).toBe(1);
        expect(states[0]).toMatchObject({ version: 1, status: 'PROCESSING' });
        const versions = states.map((run) => run.version);
        expect(versions).toEqual(versions.map((_, i) => i + 1));
        expect(sub.errors).toEqual([]);
      } finally {
        await sub.dispose();
      }
    },
  );

  it('does nothing new for a delivery whose webhook-id was accepted before', async () => {
    const before = await runsOf('acme.com');
    const body = JSON.stringify(meeting(502, ['acme.com']));
    const delivery = signed(body);
    expect((await deliver(body, delivery.headers)).status).toBe(202);
    await vi.waitFor(async () => expect(await runsOf('acme.com')).toBe(before + 1));
    const again = await deliver(body, delivery.headers);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ok: true, duplicate: true });
    await expectNoNewRunAfterRefusals(before + 1);
  });

  it('refuses bad, stale, tampered and shapeless deliveries, and none of them changes anything', async () => {
    const before = await runsOf('acme.com');
    const body = JSON.stringify(meeting(503, ['acme.com']));
    const good = signed(body);
    const statuses = await Promise.all([
      deliver(body, { ...good.headers, 'webhook-signature': 'v1,AAAA' }),
      deliver(body, signed(body, { key: randomBytes(24) }).headers),
      deliver(body.replace('Weekly', 'Daily'), good.headers),
      deliver(body, signed(body, { at: Math.floor(Date.now() / 1000) - 6 * 60 }).headers),
      deliver(body, signed(body, { at: Math.floor(Date.now() / 1000) + 6 * 60 }).headers),
      deliver(body, { 'content-type': 'application/json' }),
      deliver('{"recording_id":', signed('{"recording_id":').headers),
      deliver('{"title":"no id"}', signed('{"title":"no id"}').headers),
    ]).then((responses) => responses.map((r) => r.status));
    expect(statuses).toEqual([401, 401, 401, 401, 401, 400, 400, 400]);
    await expectNoNewRunAfterRefusals(before);
    // A refused delivery's id was not taken: the genuine delivery with it still counts.
    expect((await deliver(body, good.headers)).status).toBe(202);
    await vi.waitFor(async () => expect(await runsOf('acme.com')).toBe(before + 2));
  });

  it('answers other methods 405', async () => {
    const response = await fetch(`${server.url}/webhooks/fathom`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('never logs the secret or a signature', () => {
    const text = logs.lines.join('\n');
    expect(text).toContain('Fathom webhook accepted');
    expect(text).not.toContain(KEY.toString('base64'));
    expect(text).not.toContain('v1,');
  });

  /**
   * A refused or repeated delivery acts (if at all) right after its answer: a genuine
   * delivery sent afterwards and seen to completion shows that only it started a run.
   */
  async function expectNoNewRunAfterRefusals(before: number) {
    const body = JSON.stringify(meeting(600 + before, ['acme.com']));
    expect((await deliver(body, signed(body).headers)).status).toBe(202);
    await vi.waitFor(async () => expect(await runsOf('acme.com')).toBe(before + 1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await runsOf('acme.com')).toBe(before + 1);
  }
});

describe('without FATHOM_WEBHOOK_SECRET', () => {
  it('has no webhook route', async () => {
    const server = await startTestApp('memory');
    try {
      const body = JSON.stringify(meeting(700, ['acme.com']));
      const response = await fetch(`${server.url}/webhooks/fathom`, {
        method: 'POST',
        headers: signed(body).headers,
        body,
      });
      expect(response.status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe.each(BACKENDS)('runs started by a webhook (%s)', (backend) => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp(
      backend,
      { FATHOM_WEBHOOK_SECRET: SECRET, START_RATE_LIMIT: '1' },
      { pipeline: new ScriptedPipeline({ stepDelayMs: 1 }) },
    );
  });
  afterAll(() => server.close());

  it('are marked WEBHOOK, user starts USER, and webhooks do not count against START_RATE_LIMIT', async () => {
    const start = () =>
      graphqlRequest<StartEngagementSummaryMutation>(server.graphqlUrl, START, {
        domain: 'acme.com',
      });
    const started = await start();
    expect(started.data?.startEngagementSummary.run.trigger).toBe('USER');
    // The user's one start of the minute is spent, over GraphQL and REST alike.
    expect((await start()).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    const rest = await fetch(`${server.url}/make-server-888f4514/engagement-summary`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ domain: 'acme.com' }),
    });
    expect(rest.status).toBe(429);

    for (const recordingId of [801, 802]) {
      const body = JSON.stringify(meeting(recordingId, ['acme.com']));
      const response = await fetch(`${server.url}/webhooks/fathom`, {
        method: 'POST',
        headers: signed(body).headers,
        body,
      });
      expect(response.status).toBe(202);
    }

    const listed = async () => {
      const response = await graphqlRequest<EngagementsQuery>(
        server.graphqlUrl,
        print(EngagementsDocument),
        { domain: 'acme.com', limit: 10 },
      );
      expect(response.errors).toBeUndefined();
      return response.data?.engagements ?? [];
    };
    await vi.waitFor(async () => expect((await listed()).length).toBe(3));
    const runs = await listed();
    const userRunId = started.data?.startEngagementSummary.runId;
    expect(runs.map((run) => [run.runId === userRunId, run.trigger])).toEqual([
      [false, 'WEBHOOK'],
      [false, 'WEBHOOK'],
      [true, 'USER'],
    ]);

    const stored = async (runId: string) => {
      const response = await fetch(
        `${server.url}/make-server-888f4514/engagement-status?domain=acme.com&run_id=${runId}`,
      );
      return ((await response.json()) as RunRecord[])[0];
    };
    expect((await stored(runs[0]?.runId as string))?.trigger).toBe('webhook');
    expect((await stored(userRunId as string))?.trigger).toBe('user');
  });
});
