import { get_encoding } from 'tiktoken';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeFathom } from '../../support/fakes/fakeFathom.ts';
import { type ChatRequestRecord, startFakeOpenAI } from '../../support/fakes/fakeOpenAI.ts';
import { buildMeetings } from '../../support/fakes/fathomFixtures.ts';
import { runToEnd } from '../support/runHelpers.ts';
import { startTestApp } from '../support/testApp.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * The reference tokenizer of current OpenAI models (OpenAI's own tiktoken core, compiled to
 * WebAssembly), used directly: nothing from src/.
 */
const o200k = get_encoding('o200k_base');
const tokens = (text: string) => o200k.encode_ordinary(text).length;

/**
 * Prompt tokens of a chat request as OpenAI counts them (its cookbook's
 * num_tokens_from_messages: 3 per message plus its role and content, 3 to prime the reply),
 * plus the Structured Outputs schema exactly as it went over the wire.
 */
function promptTokens(request: ChatRequestRecord): number {
  const format = request.body.response_format as { json_schema?: unknown } | undefined;
  const schema = format?.json_schema ? tokens(JSON.stringify(format.json_schema)) : 0;
  return request.body.messages.reduce(
    (sum, m) => sum + 3 + tokens(m.role) + tokens(m.content),
    3 + schema,
  );
}

const occurrences = (haystack: string, needle: string) => haystack.split(needle).length - 1;

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
    // A third of the meetings have no Fathom summary; every transcript goes to the model too,
    // so that insights can quote it; one of them is far longer than a request, so it must be split into parts. Every
    // summary and transcript line gets a marker of its own, to find it in what was sent.
    meetings.forEach((meeting, i) => {
      if (i % 3 === 0) meeting.default_summary = null;
      if (i === 0 && meeting.transcript) {
        meeting.transcript = Array.from({ length: 40 }, () => meeting.transcript ?? []).flat();
      }
      meeting.transcript = (meeting.transcript ?? []).map((line, k) => ({
        ...line,
        text: `${line.text} (ref ${meeting.recording_id}-${k})`,
      }));
      if (meeting.default_summary) {
        meeting.default_summary.markdown_formatted += `\nReference ${meeting.recording_id}.`;
      }
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

    // One run makes dozens of LLM and Fathom calls under one deadline signal; none may leave
    // a listener on it behind (Node warns past 10 on one signal).
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    cleanups.push(async () => void process.off('warning', onWarning));

    const states = await runToEnd(server.app, 'acme.com');
    const final = states[states.length - 1];
    expect(final?.status).toBe('complete');
    expect(final?.summary?.meetings_count).toBe(300);
    // Transcripts come with the listed meetings: no call per meeting.
    expect(fathom.requests.filter((r) => r.path.endsWith('/transcript'))).toHaveLength(0);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);

    // No request carries more than the budget, as OpenAI would count it.
    for (const request of openai.requests) {
      expect(promptTokens(request)).toBeLessThanOrEqual(BUDGET);
    }

    const material = (r: ChatRequestRecord) =>
      r.body.messages
        .filter((m) => m.role === 'user')
        .map((m) => m.content)
        .join('\n');
    const mapRequests = openai.requests.filter((r) => /^Meeting \d+: /m.test(material(r)));
    const mergeRequests = openai.requests.filter((r) => !mapRequests.includes(r));
    const sent = mapRequests.map(material).join('\n');

    // Every meeting's content went to the model exactly once, whole: each summary verbatim,
    // each transcript line with its text.
    for (const meeting of meetings) {
      const summary = meeting.default_summary?.markdown_formatted.trim();
      if (summary) {
        expect(occurrences(sent, summary), `summary of ${meeting.recording_id}`).toBe(1);
      }
      for (const line of meeting.transcript ?? []) {
        const ref = /\(ref \d+-\d+\)$/.exec(line.text)?.[0] as string;
        expect(occurrences(sent, ref), ref).toBe(1);
        expect(sent).toContain(line.text);
      }
    }
    // The long meeting was split into parts, each under its own header.
    const longId = meetings[0]?.recording_id;
    const parts = mapRequests.filter((r) => material(r).includes(`Meeting ${longId}:`));
    expect(parts.length).toBeGreaterThan(1);
    expect(material(parts[0] as ChatRequestRecord)).toMatch(
      new RegExp(`Meeting ${longId}: .* \\(part \\d+ of ${parts.length}\\)`),
    );

    // As many map requests as the material needs, no more than twice that (batches are
    // packed), and the findings merged by further requests: everything the fake received.
    const materialTokens = meetings.reduce(
      (sum, m) =>
        sum +
        tokens(
          [
            m.default_summary?.markdown_formatted ?? '',
            ...(m.transcript ?? []).map((l) => l.text),
          ].join('\n'),
        ),
      0,
    );
    const atLeast = Math.ceil(materialTokens / BUDGET);
    expect(mapRequests.length).toBeGreaterThanOrEqual(atLeast);
    expect(mapRequests.length).toBeLessThanOrEqual(2 * atLeast + parts.length);
    expect(mergeRequests.length).toBeGreaterThanOrEqual(1);
    expect(mapRequests.length + mergeRequests.length).toBe(openai.requests.length);

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
