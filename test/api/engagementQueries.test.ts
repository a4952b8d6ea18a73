import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlRequest, START } from '../../support/graphqlClients.ts';
import { ScriptedPipeline } from '../../support/scriptedPipeline.ts';
import { BACKENDS, startTestApp, type TestApp } from '../support/testApp.ts';

describe.each(BACKENDS)('queries and mutations on %s', (backend) => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp(backend, {}, { pipeline: new ScriptedPipeline() });
  });
  afterAll(async () => {
    await server.close();
  });

  async function start(domain: string): Promise<string> {
    const r = await graphqlRequest<{
      startEngagementSummary: { runId: string; ok: boolean; status: string; domain: string };
    }>(server.graphqlUrl, START, { domain });
    expect(r.data?.startEngagementSummary).toMatchObject({ ok: true, status: 'PROCESSING' });
    return r.data?.startEngagementSummary.runId as string;
  }

  it('returns the run with its first state from startEngagementSummary', async () => {
    const r = await graphqlRequest<{ startEngagementSummary: Record<string, unknown> }>(
      server.graphqlUrl,
      START,
      { domain: 'WWW.first.com' },
    );
    const payload = r.data?.startEngagementSummary as {
      domain: string;
      runId: string;
      run: Record<string, unknown>;
    };
    expect(payload.domain).toBe('first.com');
    expect(payload.run).toMatchObject({
      domain: 'first.com',
      runId: payload.runId,
      status: 'PROCESSING',
      progress: { stage: 'QUEUED', meetingsFound: null },
      summary: null,
      error: null,
      version: 1,
    });
    expect(Date.parse(payload.run.createdAt as string)).not.toBeNaN();
  });

  it('lists runs newest first with a default of 20 and a limit', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 22; i++) {
      ids.push(await start('listed.com'));
      await new Promise((r) => setTimeout(r, 2));
    }
    const all = await graphqlRequest<{ engagements: Array<{ runId: string }> }>(
      server.graphqlUrl,
      '{ engagements(domain: "listed.com") { runId } }',
    );
    expect(all.data?.engagements.map((r) => r.runId)).toEqual(ids.reverse().slice(0, 20));
    const two = await graphqlRequest<{ engagements: unknown[] }>(
      server.graphqlUrl,
      '{ engagements(domain: "https://listed.com", limit: 2) { runId } }',
    );
    expect(two.data?.engagements).toHaveLength(2);
  });

  it('deletes one run, then every run of a domain, returning how many', async () => {
    const a = await start('gone.com');
    await start('gone.com');
    await start('gone.com');
    const one = await graphqlRequest<{ deleteEngagement: boolean }>(
      server.graphqlUrl,
      `mutation { deleteEngagement(domain: "gone.com", runId: "${a}") }`,
    );
    expect(one.data?.deleteEngagement).toBe(true);
    const again = await graphqlRequest<{ deleteEngagement: boolean }>(
      server.graphqlUrl,
      `mutation { deleteEngagement(domain: "gone.com", runId: "${a}") }`,
    );
    expect(again.data?.deleteEngagement).toBe(false);
    const rest = await graphqlRequest<{ deleteEngagements: number }>(
      server.graphqlUrl,
      'mutation { deleteEngagements(domain: "gone.com") }',
    );
    expect(rest.data?.deleteEngagements).toBe(2);
    const left = await graphqlRequest<{ engagement: unknown }>(
      server.graphqlUrl,
      `{ engagement(domain: "gone.com", runId: "${a}") { runId } }`,
    );
    expect(left.data?.engagement).toBeNull();
  });
});
