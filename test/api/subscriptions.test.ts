import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ENGAGEMENT_UPDATED,
  graphqlRequest,
  START,
  type Subscription,
  subscribe,
  TRANSPORTS,
  type Transport,
} from '../../support/graphqlClients.ts';
import { ScriptedPipeline, sampleSummary } from '../../support/scriptedPipeline.ts';
import { BACKENDS, startTestApp, type TestApp } from '../support/testApp.ts';

interface RunEvent {
  engagementUpdated: {
    version: number;
    status: string;
    progress: { stage: string; meetingsFound: number | null };
    summary: { meetingsCount: number; goals: Array<{ text: string; meetingIds: string[] }> } | null;
    error: string | null;
  };
}

describe.each(BACKENDS)('engagementUpdated on %s', (backend) => {
  let server: TestApp;
  let pipeline: ScriptedPipeline;
  const open: Array<Subscription<RunEvent>> = [];

  beforeEach(async () => {
    pipeline = new ScriptedPipeline();
    server = await startTestApp(backend, {}, { pipeline });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.dispose()));
    await server.close();
  });

  async function startRun(domain = 'acme.com'): Promise<string> {
    const result = await graphqlRequest<{ startEngagementSummary: { runId: string } }>(
      server.graphqlUrl,
      START,
      { domain },
    );
    expect(result.errors).toBeUndefined();
    return result.data?.startEngagementSummary.runId as string;
  }

  function watch(transport: Transport, runId: string, domain = 'acme.com') {
    const sub = subscribe<RunEvent>({ transport, ...server }, ENGAGEMENT_UPDATED, {
      domain,
      runId,
    });
    open.push(sub);
    return sub;
  }

  describe.each(TRANSPORTS)('over %s', (transport) => {
    it('streams the snapshot, then every state in order, and completes after COMPLETE', async () => {
      const runId = await startRun();
      const run = await pipeline.started(runId);
      const sub = watch(transport, runId);
      await sub.waitFor(1);
      await run.report({ stage: 'fetching_meetings' });
      await run.report({ stage: 'fetching_meetings', meetingsFound: 1 });
      await run.report({ stage: 'summarizing' });
      run.finish(sampleSummary());
      expect(await sub.ended).toBe('complete');

      const seen = sub.events.map((e) => e.engagementUpdated);
      expect(seen.map((e) => e.version)).toEqual([1, 2, 3, 4, 5]);
      expect(seen.map((e) => e.progress.stage)).toEqual([
        'QUEUED',
        'FETCHING_MEETINGS',
        'FETCHING_MEETINGS',
        'SUMMARIZING',
        'DONE',
      ]);
      expect(seen[2]?.progress.meetingsFound).toBe(1);
      expect(seen[4]).toMatchObject({
        status: 'COMPLETE',
        summary: { meetingsCount: 1, goals: [{ meetingIds: ['123456'] }] },
      });
      expect(sub.errors).toEqual([]);
    });

    it('ends with the ERROR state and completion when the pipeline fails', async () => {
      const runId = await startRun();
      const run = await pipeline.started(runId);
      const sub = watch(transport, runId);
      await sub.waitFor(1);
      run.fail('FATHOM_API_KEY is not set.');
      expect(await sub.ended).toBe('complete');
      const last = sub.events.at(-1)?.engagementUpdated;
      expect(last).toMatchObject({
        status: 'ERROR',
        error: 'FATHOM_API_KEY is not set.',
        version: 2,
      });
    });

    it('gives a late subscriber the final state, then completion', async () => {
      const runId = await startRun();
      (await pipeline.started(runId)).finish(sampleSummary());
      await expect
        .poll(async () => (await server.app.services.runs.get('acme.com', runId))?.status)
        .toBe('complete');
      const sub = watch(transport, runId);
      expect(await sub.ended).toBe('complete');
      expect(sub.events.map((e) => e.engagementUpdated.status)).toEqual(['COMPLETE']);
    });

    it('answers NOT_FOUND for an unknown run and BAD_USER_INPUT for a bad run id', async () => {
      const unknown = watch(transport, '00000000-0000-4000-8000-000000000000');
      await unknown.ended;
      expect(JSON.stringify(unknown.errors)).toContain('NOT_FOUND');
      const malformed = watch(transport, 'not-a-uuid');
      await malformed.ended;
      expect(JSON.stringify(malformed.errors)).toContain('BAD_USER_INPUT');
    });

    it('refuses an invalid domain with BAD_USER_INPUT and opens no watch', async () => {
      const runId = await startRun();
      await pipeline.started(runId);
      for (const domain of ['', 'acme com', '*', 'localhost', '1.2.3.4', 'acme.com:abc']) {
        const sub = watch(transport, runId, domain);
        await sub.ended;
        expect(sub.events, domain).toEqual([]);
        expect(sub.errors, domain).toEqual([
          expect.objectContaining({
            message: expect.stringMatching(/not a valid company domain/),
            extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
          }),
        ]);
      }
      expect(server.app.services.runs.openWatches).toBe(0);
    });

    it('ends a watch with NOT_FOUND when its run is deleted', async () => {
      const runId = await startRun();
      await pipeline.started(runId);
      const sub = watch(transport, runId);
      await sub.waitFor(1);
      await graphqlRequest(
        server.graphqlUrl,
        'mutation($d: String!, $r: ID!) { deleteEngagement(domain: $d, runId: $r) }',
        { d: 'acme.com', r: runId },
      );
      await sub.ended;
      expect(JSON.stringify(sub.errors)).toContain('NOT_FOUND');
    });

    it('normalises the domain of a watch like every other argument', async () => {
      const runId = await startRun('acme.com');
      await pipeline.started(runId);
      const sub = watch(transport, runId, 'https://www.ACME.com/pricing');
      await sub.waitFor(1);
      expect(sub.events[0]?.engagementUpdated.version).toBe(1);
    });
  });
});
