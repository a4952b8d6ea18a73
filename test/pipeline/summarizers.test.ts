import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ProposedInsight } from '../../src/pipeline/evidence/verifiedInsights.ts';
import { fathomMeetingSchema } from '../../src/pipeline/fathom/fathomMeeting.ts';
import { meetingFacts } from '../../src/pipeline/meetingFacts.ts';
import { keepCitedInsights } from '../../src/pipeline/summarizer/citedInsights.ts';
import { ExtractiveSummarizer } from '../../src/pipeline/summarizer/extractiveSummarizer.ts';
import { digestMeeting } from '../../src/pipeline/summarizer/meetingDigest.ts';
import { packIntoBatches } from '../../src/pipeline/summarizer/openAiSummarizer.ts';
import { TiktokenCounter } from '../../src/pipeline/summarizer/tokenCounter.ts';
import { verifiedInsightRecords } from '../../src/pipeline/summaryRecords.ts';
import { buildMeetings } from '../../support/fakes/fathomFixtures.ts';

const demo = z
  .object({ items: z.array(fathomMeetingSchema) })
  .parse(
    JSON.parse(readFileSync(new URL('../../demo/meetings.json', import.meta.url), 'utf8')),
  ).items;
const signal = new AbortController().signal;

describe('the extractive summariser', () => {
  it('quotes goals and challenges from the company, citing every meeting that said them', async () => {
    const facts = meetingFacts('lumen-retail.com', demo);
    const result = await new ExtractiveSummarizer().summarize(
      { domain: 'lumen-retail.com', meetings: facts.meetings },
      signal,
    );
    expect(result.goals.length).toBeGreaterThanOrEqual(3);
    expect(result.challenges.length).toBeGreaterThanOrEqual(3);
    const ids = new Set(facts.refs.map((r) => r.id));
    const meetingIdsOf = (insight: ProposedInsight) =>
      new Set(insight.quotes.map((q) => q.meetingId));
    for (const insight of [...result.goals, ...result.challenges]) {
      expect([...meetingIdsOf(insight)].every((id) => ids.has(id))).toBe(true);
      expect(insight.text).toMatch(/^[A-Z"'].{20,}[.!]$/);
    }
    // The recurring theme is quoted from each meeting it came up in, and ranked first.
    expect(meetingIdsOf(result.challenges[0] as ProposedInsight).size).toBeGreaterThan(1);
    // Every quote is the meeting's own words: verification keeps every insight.
    const verified = verifiedInsightRecords(result, facts.meetings);
    expect(verified.droppedInsights).toBe(0);
    expect(verified.goals.map((g) => g.text)).toEqual(result.goals.map((g) => g.text));
  });

  it('is deterministic', async () => {
    const meetings = meetingFacts('northwind-logistics.com', demo).meetings;
    const request = { domain: 'northwind-logistics.com', meetings };
    const a = await new ExtractiveSummarizer().summarize(request, signal);
    const b = await new ExtractiveSummarizer().summarize(structuredClone(request), signal);
    expect(a).toEqual(b);
  });

  it('does not give one company what a joint meeting said about another', async () => {
    // The joint workshop's summary has sentences about each company, by name.
    for (const [domain, other] of [
      ['lumen-retail.com', /^Quarry\b/],
      ['quarry-analytics.io', /^Lumen\b/],
    ] as const) {
      const { meetings } = meetingFacts(domain, demo);
      const result = await new ExtractiveSummarizer().summarize({ domain, meetings }, signal);
      const texts = [...result.goals, ...result.challenges].map((i) => i.text);
      expect(texts.filter((t) => other.test(t))).toEqual([]);
    }
  });
});

describe('LLM input', () => {
  const counter = new TiktokenCounter();

  it('splits a meeting too long for one request into parts that each fit and name it', () => {
    const [meeting] = buildMeetings({
      companies: [{ domain: 'acme.com', people: [{ name: 'Jane', email: 'jane@acme.com' }] }],
      meetingsPerCompany: 1,
      transcriptLinesPerMeeting: 400,
      withSummary: false,
    });
    const parsed = fathomMeetingSchema.parse(meeting);
    const parts = digestMeeting(parsed, 'acme.com', counter, 500);
    expect(parts.length).toBeGreaterThan(3);
    for (const part of parts) {
      expect(part.tokens).toBeLessThanOrEqual(500);
      expect(part.text).toMatch(
        new RegExp(`^Meeting ${parsed.recording_id}: .*\\(part \\d+ of ${parts.length}\\)`),
      );
    }
    // Every transcript line is in some part: nothing is cut off.
    const all = parts.map((p) => p.text).join('\n');
    for (const line of parsed.transcript ?? [])
      expect(all).toContain(line.text.trim().slice(0, 40));
  });

  it('gives the summary and the transcript, one line per transcript line, to quote from', () => {
    const [meeting] = buildMeetings({
      companies: [{ domain: 'acme.com', people: [{ name: 'Jane', email: 'jane@acme.com' }] }],
      meetingsPerCompany: 1,
    });
    const parsed = fathomMeetingSchema.parse(meeting);
    const [part] = digestMeeting(parsed, 'acme.com', counter, 100_000);
    const lines = part?.text.split('\n') ?? [];
    expect(part?.text).toContain(parsed.default_summary?.markdown_formatted?.trim());
    for (const line of parsed.transcript ?? []) {
      expect(lines).toContain(`[${line.timestamp}] ${line.speaker?.display_name}: ${line.text}`);
    }
  });

  it('packs parts into batches that never exceed the room', () => {
    const items = [120, 300, 80, 500, 20, 20, 490, 1].map((tokens) => ({ tokens }));
    const batches = packIntoBatches(items, 500);
    expect(batches.flat()).toEqual(items);
    for (const batch of batches) {
      expect(batch.reduce((sum, i) => sum + i.tokens + 4, 0)).toBeLessThanOrEqual(504);
    }
  });

  it('reads the answer as proposals: duplicates merged, copied line prefixes stripped, quotes capped', () => {
    const source = { meetingIds: new Set(['1', '2']), speakers: new Set(['Jane Doe']) };
    const quote = (meeting_id: string, quote: string) => ({ meeting_id, quote });
    const kept = keepCitedInsights(
      {
        goals: [
          {
            text: ' Grow  revenue. ',
            evidence: [
              quote('9', 'we want growth'),
              quote('1', '[00:01:02] Jane Doe: we want growth'),
            ],
          },
          {
            text: 'grow revenue',
            evidence: [
              quote('2', 'Revenue: up'),
              quote('1', 'a'),
              quote('2', 'b'),
              quote('1', 'we want growth'),
            ],
          },
          { text: '', evidence: [quote('1', 'x')] },
        ],
        challenges: [{ text: 'Slow onboarding', evidence: [] }],
      },
      source,
    );
    expect(kept).toEqual({
      goals: [
        {
          text: 'Grow revenue.',
          // Quotes of the run's meetings first; "Revenue:" is not a speaker, so it stays.
          quotes: [
            { meetingId: '1', quote: 'we want growth' },
            { meetingId: '2', quote: 'Revenue: up' },
            { meetingId: '1', quote: 'a' },
          ],
        },
      ],
      // Left for the pipeline to drop and count.
      challenges: [{ text: 'Slow onboarding', quotes: [] }],
    });
    expect(keepCitedInsights({ nonsense: true }, source)).toEqual({ goals: [], challenges: [] });
  });
});
