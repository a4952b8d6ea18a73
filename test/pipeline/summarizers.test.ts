import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runMeetingQuotes } from '../../src/pipeline/evidence/meetingQuotes.ts';
import { normalizeQuoteText } from '../../src/pipeline/evidence/quoteText.ts';
import type { ProposedInsight } from '../../src/pipeline/evidence/verifiedInsights.ts';
import { verifyInsights } from '../../src/pipeline/evidence/verifiedInsights.ts';
import {
  type FathomMeeting,
  fathomMeetingSchema,
} from '../../src/pipeline/fathom/fathomMeeting.ts';
import { inviteeDomain, meetingFacts } from '../../src/pipeline/meetingFacts.ts';
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

function extractiveInsights(domain: string, meetings: FathomMeeting[]) {
  return new ExtractiveSummarizer().summarize(
    { domain, meetings, quotes: runMeetingQuotes(meetings) },
    signal,
  );
}

describe('the extractive summariser', () => {
  it('quotes goals and challenges from the company, citing every meeting that said them', async () => {
    const facts = meetingFacts('lumen-retail.com', demo);
    const result = await extractiveInsights('lumen-retail.com', facts.meetings);
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
    const verified = verifiedInsightRecords(result, runMeetingQuotes(facts.meetings));
    expect(verified.droppedInsights).toBe(0);
    expect(verified.goals.map((g) => g.text)).toEqual(result.goals.map((g) => g.text));
  });

  it('is deterministic', async () => {
    const meetings = meetingFacts('northwind-logistics.com', demo).meetings;
    const request = {
      domain: 'northwind-logistics.com',
      meetings,
      quotes: runMeetingQuotes(meetings),
    };
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
      const result = await extractiveInsights(domain, meetings);
      const texts = [...result.goals, ...result.challenges].map((i) => i.text);
      expect(texts.filter((t) => other.test(t))).toEqual([]);
    }
  });
});

/** A meeting of acme.com with us, in which each line is said by `them` or by `us`. */
function meetingSaying(lines: Array<['them' | 'us', string]>, keyTakeaways: string[] = []) {
  const template = demo[0] as (typeof demo)[number];
  const email = { them: 'jane@acme.com', us: 'sam@ourteam.io' };
  return fathomMeetingSchema.parse({
    ...template,
    recording_id: '42',
    calendar_invitees: [
      { name: 'Jane', email: email.them, email_domain: 'acme.com', is_external: true },
      { name: 'Sam', email: email.us, email_domain: 'ourteam.io', is_external: false },
    ],
    transcript: lines.map(([who, text], i) => ({
      speaker: { display_name: who, matched_calendar_invitee_email: email[who] },
      text,
      timestamp: `00:00:${String(i).padStart(2, '0')}`,
    })),
    default_summary: {
      template_name: 'general',
      markdown_formatted: [
        '## Meeting Purpose',
        'Discovery call.',
        '',
        '## Key Takeaways',
        ...keyTakeaways.map((line) => `- ${line}`),
        '',
        '## Next Steps',
        '- Sam to send the proposal.',
      ].join('\n'),
    },
  });
}

async function insightsOf(lines: Array<['them' | 'us', string]>, keyTakeaways?: string[]) {
  const meeting = meetingSaying(lines, keyTakeaways);
  const result = await extractiveInsights('acme.com', [meeting]);
  return {
    goals: result.goals.map((i) => i.text),
    challenges: result.challenges.map((i) => i.text),
  };
}

describe('what the extractive summariser leaves out, and what it finds without cue words', () => {
  // Each line would be picked for its cue word ("problem", "challenge", "want to") if the
  // rule did not see that it is denied, fixed, imagined, hedged, small talk or ours.
  it.each([
    ['a denied problem', 'them', 'Budget is not a problem for us if it pays back within a year.'],
    ['a need denied', 'them', "We don't need to change the billing system this year, it works."],
    [
      'a problem already fixed',
      'them',
      "We had a big problem with invoices going out late, but that's sorted since the upgrade.",
    ],
    [
      'a past struggle',
      'them',
      'We used to struggle with double-booked rooms before the new system.',
    ],
    [
      'a hypothetical',
      'them',
      'If we ever opened an office in Japan, hiring would be the biggest challenge, but that is years away.',
    ],
    [
      'a hedge',
      'them',
      "Maybe one day we'd like to offer same-day delivery, but honestly it's a pipe dream.",
    ],
    [
      'small talk',
      'them',
      'I want to get a coffee before my next call, I have been on calls since seven.',
    ],
    [
      'a fix described as done',
      'them',
      'The new reminders address the main front desk pain points.',
    ],
    ['a condition', 'them', 'Our IT director would need to look at the integration side first.'],
    ['a request', 'them', "Send me the proposal, I'd like to show it to the team first."],
    [
      'our question',
      'us',
      'Would you want to reduce the time your team spends on manual data entry?',
    ],
    [
      'our proposal',
      'us',
      'We could help you cut the onboarding backlog with an automated work queue, which is our goal.',
    ],
  ] as const)('leaves out %s', async (_, who, line) => {
    const { goals, challenges } = await insightsOf([
      [who, line],
      ['them', 'Thanks, that is helpful for the team to hear about.'],
    ]);
    expect([...goals, ...challenges]).toEqual([]);
  });

  it('finds a plain need or deadline as a goal, and a plain complaint as a challenge', async () => {
    const { goals, challenges } = await insightsOf([
      ['them', 'The Denver office has to be live before the spring launch.'],
      ['them', 'The night team keeps double-booking the meeting rooms.'],
      ['them', 'Every supplier invoice is typed in by hand, and it takes finance three days.'],
      ['them', 'The warehouse team mainly wants an end to lost pallets on returns.'],
    ]);
    expect(goals).toEqual(['The Denver office has to be live before the spring launch.']);
    expect(challenges).toEqual(
      expect.arrayContaining([
        'The night team keeps double-booking the meeting rooms.',
        'Every supplier invoice is typed in by hand, and it takes finance three days.',
        'The warehouse team mainly wants an end to lost pallets on returns.',
      ]),
    );
    expect(challenges).toHaveLength(3);
  });

  it('files a problem to fix before a deadline as a challenge, not a goal', async () => {
    const { goals, challenges } = await insightsOf([
      [
        'them',
        'We need to fix consent capture before we go live, otherwise we cannot text anyone.',
      ],
    ]);
    expect(goals).toEqual([]);
    expect(challenges).toHaveLength(1);
  });

  it('makes one insight of a paraphrase said in another meeting, quoting both', async () => {
    const first = meetingSaying(
      [
        [
          'them',
          'Same-day account opening is the headline for next year, it is in the board plan.',
        ],
      ],
      ["Same-day account opening is the headline goal in next year's board plan."],
    );
    const second = {
      ...meetingSaying(
        [['them', 'We want to approve new business accounts the same day they apply.']],
        ['Acme wants to approve new business accounts the same day they apply.'],
      ),
      recording_id: '43',
    };
    const result = await extractiveInsights('acme.com', [first, second]);
    expect(result.goals).toHaveLength(1);
    expect(new Set(result.goals[0]?.quotes.map((q) => q.meetingId))).toEqual(new Set(['42', '43']));
    expect(result.goals[0]?.quotes).toHaveLength(4);
  });

  it('leaves out a line said once in passing when the meetings have key takeaways', async () => {
    const { goals } = await insightsOf(
      [
        ['them', 'We want every invoice out within one working day of month end.'],
        ['them', 'We need to open the Leeds site before Black Friday.'],
      ],
      ['Acme wants to get every invoice out within one working day of month end.'],
    );
    expect(goals).toHaveLength(1);
    expect(goals[0]).toMatch(/every invoice out within one working day/);
  });

  it('leaves out a sentence that only points back at what was said', async () => {
    const { challenges } = await insightsOf([
      ['them', "That's the front desk problem in one sentence, the backlog keeps growing."],
      [
        'them',
        'We want to approve new business accounts the same day they apply. Today it takes four days on average.',
      ],
    ]);
    expect(challenges).toEqual([]);
  });

  it('makes one insight of a takeaway and the line it summarises', async () => {
    const { goals } = await insightsOf(
      [['them', 'We want to be able to backfill cancelled slots from a waitlist.']],
      ['Acme wants to backfill cancelled slots from a waitlist.'],
    );
    expect(goals).toHaveLength(1);
  });
});

describe('challenges about one topic, said in other words', () => {
  /** The challenges are one insight, and it quotes every one of `quotes`. */
  function expectOneQuoting(challenges: ProposedInsight[], quotes: string[]) {
    expect(challenges).toHaveLength(1);
    expect(challenges[0]?.quotes.map((q) => q.quote)).toEqual(expect.arrayContaining(quotes));
  }

  it('makes one insight of a problem with the thing named just before it and a takeaway about that thing', async () => {
    const meeting = meetingSaying(
      [
        [
          'them',
          'My question is the WMS. Every new integration with it takes months, because the vendor only does flat-file exports.',
        ],
      ],
      ['The 15-year-old WMS makes getting data out difficult.'],
    );
    const { challenges } = await extractiveInsights('acme.com', [meeting]);
    expectOneQuoting(challenges, [
      'Every new integration with it takes months, because the vendor only does flat-file exports.',
      'The 15-year-old WMS makes getting data out difficult.',
    ]);
  });

  it('makes one insight of a problem and the worst part of it, said right after', async () => {
    const said = await insightsOf([
      ['them', 'Evidence still takes weeks to pull from the other systems.'],
      [
        'them',
        'The access logs from the core platform are the worst, they expire after thirty days.',
      ],
    ]);
    expect(said.challenges).toHaveLength(1);
    // Said after something else came up in between, it stands on its own.
    const apart = await insightsOf([
      ['them', 'Evidence still takes weeks to pull from the other systems.'],
      ['us', 'We could help you archive the logs automatically.'],
      [
        'them',
        'The access logs from the core platform are the worst, they expire after thirty days.',
      ],
    ]);
    expect(apart.challenges).toHaveLength(2);
  });

  it('makes one insight of what "all three" and "them" point back at', async () => {
    const { challenges } = await extractiveInsights('acme.com', [
      meetingSaying([
        [
          'them',
          'The core banking platform, the CRM, and a pile of spreadsheets the analysts keep. Customer data is split across all three.',
        ],
        [
          'them',
          "One risk: the analysts' spreadsheets. Half the customer history lives in them and nobody trusts the numbers.",
        ],
      ]),
    ]);
    expectOneQuoting(challenges, [
      'Customer data is split across all three.',
      'Half the customer history lives in them and nobody trusts the numbers.',
    ]);
  });

  it('keeps apart two problems of different things that share a few words', async () => {
    const { challenges } = await insightsOf([
      ['them', 'The front desk is stretched, so training has to be short.'],
      ['them', 'Scheduling is not connected to the EHR, so front desk staff enter details twice.'],
      [
        'them',
        'My question is the WMS. Every new integration with it takes months, because the vendor only does flat-file exports.',
      ],
      [
        'them',
        'Client billing is still done in spreadsheets at month end and takes finance four days.',
      ],
    ]);
    expect(challenges).toHaveLength(4);
  });

  it('BrightPath: manual reminders and slow paper intake are two challenges, each with its own quotes', async () => {
    const { meetings } = meetingFacts('brightpath-health.com', demo);
    const { challenges } = await extractiveInsights('brightpath-health.com', meetings);
    const about = (pattern: RegExp) =>
      challenges.filter((c) => c.quotes.some((q) => pattern.test(q.quote)));
    expect(about(/paper intake/i)).toHaveLength(1);
    expect(about(/reminders are (?:mostly )?manual/i)).toHaveLength(1);
    expect(about(/paper intake/i)[0]).not.toBe(about(/reminders are (?:mostly )?manual/i)[0]);
  });
});

describe('the demo summaries', () => {
  const companies = [
    ...new Set(
      demo.flatMap((m) =>
        m.calendar_invitees.filter((i) => i.is_external).map((i) => inviteeDomain(i)),
      ),
    ),
  ];

  // Words that frame a statement rather than say what it is about.
  const FRAME = new Set('their main goal challenge problem that this with from what'.split(' '));

  it.each(companies)('%s: no two insights say the same thing', async (domain) => {
    const { meetings } = meetingFacts(domain, demo);
    const result = await extractiveInsights(domain, meetings);
    const insights = [...result.goals, ...result.challenges].map((i) => i.text);
    const words = (text: string) =>
      new Set(
        text
          .toLowerCase()
          .split(/[^a-z0-9]+/)
          .filter((w) => w.length > 3 && !FRAME.has(w)),
      );
    for (const [i, a] of insights.entries()) {
      for (const b of insights.slice(i + 1)) {
        const [wa, wb] = [words(a), words(b)];
        const shared = [...wa].filter((w) => wb.has(w)).length;
        expect(shared / Math.min(wa.size, wb.size), `${a} | ${b}`).toBeLessThan(0.6);
      }
    }
  });

  it.each(companies)(
    '%s: every quote behind an insight is verified in its meeting',
    async (domain) => {
      const { meetings } = meetingFacts(domain, demo);
      const proposed = await extractiveInsights(domain, meetings);
      const insights = [...proposed.goals, ...proposed.challenges];
      const byId = runMeetingQuotes(meetings);
      const { kept, dropped } = verifyInsights(insights, byId);
      expect(dropped).toBe(0);
      for (const [i, insight] of insights.entries()) {
        expect(kept[i]?.evidence).toHaveLength(insight.quotes.length);
        expect(kept[i]?.meetingIds.sort()).toEqual(
          [...new Set(insight.quotes.map((q) => q.meetingId))].sort(),
        );
        // The insight reads as one of its own quotes.
        const text = normalizeQuoteText(insight.text).text;
        expect(insight.quotes.map((q) => normalizeQuoteText(q.quote).text)).toContain(text);
      }
    },
  );

  it('BrightPath: backfilling cancelled slots is one goal, and consent capture is a challenge', async () => {
    const domain = 'brightpath-health.com';
    const { meetings } = meetingFacts(domain, demo);
    const result = await extractiveInsights(domain, meetings);
    const goals = result.goals.map((i) => i.text);
    const challenges = result.challenges.map((i) => i.text);
    expect(goals.filter((text) => /backfill cancelled slots/i.test(text))).toHaveLength(1);
    expect(goals.filter((text) => /consent/i.test(text))).toEqual([]);
    expect(challenges.filter((text) => /consent/i.test(text))).toHaveLength(1);
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
    // What the meetings said: any other quote is invented (or names a meeting not in the run).
    const said = new Set(['1:we want growth', '2:Revenue: up']);
    const source = {
      meetingIds: new Set(['1', '2']),
      speakers: new Set(['Jane Doe']),
      said: (meetingId: string, quote: string) => said.has(`${meetingId}:${quote}`),
    };
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
              quote('1', 'a'),
              quote('2', 'b'),
              quote('1', 'c'),
              quote('2', 'Revenue: up'),
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
          // Quotes their meeting said first, so invented ones listed before them cannot push
          // them out; "Revenue:" is not a speaker, so it stays.
          quotes: [
            { meetingId: '1', quote: 'we want growth' },
            { meetingId: '2', quote: 'Revenue: up' },
            { meetingId: '9', quote: 'we want growth' },
          ],
        },
      ],
      // Left for the pipeline to drop and count.
      challenges: [{ text: 'Slow onboarding', quotes: [] }],
    });
    expect(keepCitedInsights({ nonsense: true }, source)).toEqual({ goals: [], challenges: [] });
  });
});
