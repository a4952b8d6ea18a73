import { zodResponseFormat } from 'openai/helpers/zod';
import { afterEach, describe, expect, it } from 'vitest';
import { insightsSchema } from '../../src/pipeline/summarizer/citedInsights.ts';
import { TiktokenCounter } from '../../src/pipeline/summarizer/tokenCounter.ts';
import { startFakeFathom } from '../fakes/fakeFathom.ts';
import { citedMeetingIds, startFakeOpenAI } from '../fakes/fakeOpenAI.ts';
import { buildMeetings } from '../fakes/fathomFixtures.ts';
import { runToEnd } from '../support/runHelpers.ts';
import { startTestApp } from '../support/testApp.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a history longer than one LLM request', () => {
  it('is summarised in batches under the token budget and merged, with no meeting left out', async () => {
    const BUDGET = 3000;
    const meetings = buildMeetings({
      companies: [
        {
          domain: 'acme.com',
          people: [
            { name: 'Jane Doe', email: 'jane@acme.com' },
            { name: 'Raj Patel', email: 'raj@acme.com' },
          ],
        },
      ],
      meetingsPerCompany: 300,
      transcriptLinesPerMeeting: 8,
    });
    // A third of the meetings have no Fathom summary, so their transcript is fetched and used.
    meetings.forEach((meeting, i) => {
      if (i % 3 === 0) meeting.default_summary = null;
    });
    const fathom = await startFakeFathom({ meetings, pageSize: 50 });
    cleanups.push(() => fathom.close());
    const openai = await startFakeOpenAI();
    cleanups.push(() => openai.close());
    const server = await startTestApp('memory', {
      FATHOM_API_KEY: 'fathom-test-key',
      FATHOM_BASE_URL: fathom.baseUrl,
      FATHOM_RATE_LIMIT: '1000',
      OPENAI_API_KEY: 'openai-test-key',
      OPENAI_BASE_URL: openai.baseUrl,
      LLM_INPUT_BUDGET_TOKENS: String(BUDGET),
      RUN_TIMEOUT_MS: '60000',
    });
    cleanups.push(() => server.close());

    const states = await runToEnd(server.app, 'acme.com');
    const final = states[states.length - 1];
    expect(final?.status).toBe('complete');
    expect(final?.summary?.meetings_count).toBe(300);

    // Measured independently of the service: the request as it arrived on the wire.
    const counter = new TiktokenCounter();
    const schemaTokens = counter.count(
      JSON.stringify(zodResponseFormat(insightsSchema, 'engagement_insights').json_schema),
    );
    for (const request of openai.requests) {
      const tokens =
        3 +
        schemaTokens +
        request.body.messages.reduce((sum, m) => sum + 4 + counter.count(m.content), 0);
      expect(tokens).toBeLessThanOrEqual(BUDGET);
    }

    const mapRequests = openai.requests.filter((r) =>
      r.body.messages.some((m) => m.role === 'user' && /Meeting \d+/.test(m.content)),
    );
    const mergeRequests = openai.requests.filter((r) => !mapRequests.includes(r));
    expect(mapRequests.length).toBeGreaterThan(10);
    expect(mergeRequests.length).toBeGreaterThanOrEqual(1);

    // Every meeting reached the model, transcripts included: nothing was cut off.
    const seen = new Set(
      mapRequests.flatMap((r) => citedMeetingIds(r.body.messages.map((m) => m.content).join('\n'))),
    );
    expect(seen.size).toBe(300);
    const transcriptOnly = meetings.find((m) => m.default_summary === null);
    const lastLine = transcriptOnly?.transcript?.at(-1)?.text as string;
    expect(mapRequests.some((r) => r.body.messages.some((m) => m.content.includes(lastLine)))).toBe(
      true,
    );
    expect(fathom.requests.filter((r) => r.path.endsWith('/transcript'))).toHaveLength(100);

    const ids = new Set(final?.summary?.meetings.map((m) => m.id));
    for (const insight of [
      ...(final?.summary?.goals ?? []),
      ...(final?.summary?.challenges ?? []),
    ]) {
      for (const id of insight.meeting_ids) expect(ids.has(id)).toBe(true);
    }
    expect(final?.summary?.goals.length).toBeGreaterThan(0);
  });
});
