import { describe, expect, it, vi } from 'vitest';
import {
  MeetingQuotes,
  plainSummary,
  type RunMeetingQuotes,
} from '../../src/pipeline/evidence/meetingQuotes.ts';
import { findQuote, normalizeQuoteText } from '../../src/pipeline/evidence/quoteText.ts';
import { verifyInsights } from '../../src/pipeline/evidence/verifiedInsights.ts';
import { fathomMeetingSchema } from '../../src/pipeline/fathom/fathomMeeting.ts';
import type { MeetingSource } from '../../src/pipeline/meetingSource.ts';
import { MeetingSummaryPipeline } from '../../src/pipeline/meetingSummaryPipeline.ts';
import type { Summarizer } from '../../src/pipeline/summarizer/summarizer.ts';

const meeting = fathomMeetingSchema.parse({
  recording_id: 101,
  calendar_invitees: [],
  transcript: [
    {
      speaker: { display_name: 'Sam Seller', matched_calendar_invitee_email: 'sam@ourteam.io' },
      text: 'Would you want to automate the dock schedule?',
      timestamp: '00:01:05',
    },
    {
      speaker: { display_name: 'Jane Doe', matched_calendar_invitee_email: 'jane@acme.com' },
      text: 'Leeds has to be live before Black Friday \u2014 that\u2019s non-negotiable.',
      timestamp: '00:04:12',
    },
    {
      speaker: { display_name: 'Guest 2', matched_calendar_invitee_email: null },
      text: 'The night shift keeps double-booking docks.',
      timestamp: '00:09:40',
    },
  ],
  default_summary: {
    markdown_formatted:
      '## Summary\n- **Acme** wants Leeds live before Black Friday.\n- See [the plan](https://x.test/p).',
  },
});
const quotes = new Map([['101', new MeetingQuotes(meeting)]]);

describe('quote normalisation (the contract rule)', () => {
  it('lower-cases, folds typographic quotes and dashes, collapses whitespace and punctuation', () => {
    expect(normalizeQuoteText('  That\u2019s  \u201Cfine\u201D \u2014 really!! ').text).toBe(
      'that s fine really',
    );
    expect(normalizeQuoteText('That\'s "fine" - really').text).toBe('that s fine really');
  });

  it('cuts the match out of the original text verbatim', () => {
    const original = 'Well, Leeds has to be LIVE before Black Friday!';
    const found = findQuote(
      normalizeQuoteText(original),
      original,
      normalizeQuoteText('leeds has to be live').text,
    );
    expect(found).toBe('Leeds has to be LIVE');
  });
});

describe('a meeting checks the quotes proposed for it', () => {
  it('attributes a transcript quote to its line: speaker, matched email, timestamp', () => {
    expect(quotes.get('101')?.find('leeds has to be live before black friday - thats')).toBeNull();
    expect(quotes.get('101')?.find("Leeds has to be live before Black Friday - that's")).toEqual({
      meetingId: '101',
      quote: 'Leeds has to be live before Black Friday \u2014 that\u2019s',
      speaker: 'Jane Doe',
      speakerEmail: 'jane@acme.com',
      timestamp: '00:04:12',
      line: 1,
    });
  });

  it('never guesses an email Fathom did not match', () => {
    expect(quotes.get('101')?.find('keeps double-booking docks')).toMatchObject({
      speaker: 'Guest 2',
      speakerEmail: null,
      timestamp: '00:09:40',
    });
  });

  it('finds a quote of the summary alone with no speaker and no time', () => {
    expect(quotes.get('101')?.find('Acme wants Leeds live')).toEqual({
      meetingId: '101',
      quote: 'Acme wants Leeds live',
      speaker: null,
      speakerEmail: null,
      timestamp: null,
      line: null,
    });
  });

  it('refuses words the meeting did not say, and an empty quote', () => {
    expect(quotes.get('101')?.find('Leeds must be live before Christmas')).toBeNull();
    expect(quotes.get('101')?.find(' \u2014 ')).toBeNull();
  });

  it('reads the summary as prose: no heading, list or link marks', () => {
    expect(plainSummary('## Summary\n- **Acme** wants [X](https://x.test)\n1. Two')).toBe(
      'Summary\nAcme wants X\nTwo',
    );
  });
});

describe('verifying proposed insights', () => {
  it('keeps verified quotes, removes the rest, drops and counts an insight left bare', () => {
    const { kept, dropped } = verifyInsights(
      [
        {
          text: 'Leeds must go live before Black Friday',
          quotes: [
            { meetingId: '101', quote: 'Leeds has to be live before Black Friday' },
            { meetingId: '101', quote: 'leeds has to be live before black friday' },
            { meetingId: '999', quote: 'Leeds has to be live before Black Friday' },
            { meetingId: '101', quote: 'We will be live by Black Friday' },
          ],
        },
        { text: 'Budget is a problem', quotes: [{ meetingId: '101', quote: 'budget is tight' }] },
        { text: 'Nothing cited', quotes: [] },
      ],
      quotes,
    );
    expect(dropped).toBe(2);
    expect(kept).toHaveLength(1);
    expect(kept[0]?.meetingIds).toEqual(['101']);
    expect(kept[0]?.evidence.map((e) => e.quote)).toEqual([
      'Leeds has to be live before Black Friday',
    ]);
  });
});

describe('a run normalises its meetings once', () => {
  it('hands the summariser the quotes its answer is then verified against', async () => {
    const joined = fathomMeetingSchema.parse({
      ...meeting,
      calendar_invitees: [{ name: 'Jane Doe', email: 'jane@acme.com', is_external: true }],
    });
    const source: MeetingSource = { listMeetings: async () => [joined] };
    let handed: RunMeetingQuotes | undefined;
    const summarizer: Summarizer = {
      async summarize(request) {
        handed = request.quotes;
        expect(request.quotes.get('101')?.find('Black Friday')?.speaker).toBe('Jane Doe');
        return {
          goals: [
            {
              text: 'Leeds live for peak.',
              quotes: [{ meetingId: '101', quote: 'live before Black Friday' }],
            },
          ],
          challenges: [{ text: 'Invented.', quotes: [{ meetingId: '101', quote: 'never said' }] }],
        };
      },
    };
    const spy = vi.spyOn(MeetingQuotes.prototype, 'find');
    try {
      const summary = await new MeetingSummaryPipeline(
        { ok: true, value: source },
        { ok: true, value: summarizer },
      ).run({
        domain: 'acme.com',
        runId: 'r1',
        signal: new AbortController().signal,
        report: async () => {},
      });
      expect(summary.goals.map((g) => g.evidence?.[0]?.quote)).toEqual([
        'live before Black Friday',
      ]);
      expect(summary.dropped_insights).toBe(1);
      // Every quote, the summariser's and the verifier's, was searched in the run's one index.
      const instances = new Set(spy.mock.contexts);
      expect(instances).toEqual(new Set(handed?.values()));
      expect(spy.mock.calls.length).toBe(3);
    } finally {
      spy.mockRestore();
    }
  });
});
