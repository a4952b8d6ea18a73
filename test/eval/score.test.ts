import { describe, expect, it } from 'vitest';
import { buildEvalSet, type LabelsFile } from '../../eval/evalSet.ts';
import {
  type CompanyPrediction,
  type PredictedInsight,
  scorePredictions,
} from '../../eval/score.ts';
import { fathomMeetingSchema } from '../../src/pipeline/fathom/fathomMeeting.ts';

const us = 'sam@ourteam.io';
const acme = 'ana@acme.com';
const beta = 'bo@beta.io';

function meeting(id: string, lines: Array<[string, string]>, summary = '') {
  return fathomMeetingSchema.parse({
    recording_id: id,
    calendar_invitees: [...new Set(lines.map(([email]) => email))].map((email) => ({ email })),
    transcript: lines.map(([email, text], i) => ({
      speaker: { display_name: email, matched_calendar_invitee_email: email },
      text,
      timestamp: `00:0${i}:00`,
    })),
    default_summary: { markdown_formatted: summary },
  });
}

const meetings = [
  meeting(
    'm1',
    [
      [us, 'Would you want to automate the invoice matching?'],
      [acme, 'Our goal is to close the books in three days.'],
      [acme, 'Budget is not a problem for this.'],
      [acme, 'The night shift keeps double-booking docks.'],
      [acme, "We used to struggle with exports, but that's sorted."],
    ],
    '## Key Takeaways\n- Acme wants to close the books in three days.',
  ),
  meeting('m2', [
    [acme, 'Closing the books still takes \u201cnine\u201d days \u2014 far too long.'],
    [acme, 'We need the books closed within three days.'],
    [acme, "If we ever expanded to Germany we'd need a new ledger."],
  ]),
  meeting('m3', [
    [beta, 'We want to open a warehouse in Leeds.'],
    [beta, 'I want to get a coffee after this.'],
    [beta, "Maybe we'd like to try robots one day."],
  ]),
];

const at = (meeting_id: string, line: number, source: 'transcript' | 'summary' = 'transcript') => ({
  meeting_id,
  line,
  source,
});

const labels: LabelsFile = {
  companies: [
    { domain: 'acme.com', name: 'Acme' },
    { domain: 'beta.io', name: 'Beta' },
  ],
  groups: [
    { id: 'close', domain: 'acme.com', kind: 'goal', text: 'Close the books in three days' },
    { id: 'slow', domain: 'acme.com', kind: 'challenge', text: 'Closing takes nine days' },
    { id: 'docks', domain: 'acme.com', kind: 'challenge', text: 'Docks are double-booked' },
    { id: 'leeds', domain: 'beta.io', kind: 'goal', text: 'Open a warehouse in Leeds' },
  ],
  labels: [
    { ...at('m1', 1), kind: 'goal', group: 'close', text: 'Close in three days' },
    { ...at('m1', 1, 'summary'), kind: 'goal', group: 'close', text: 'Close in three days' },
    { ...at('m2', 1), kind: 'goal', group: 'close', text: 'Close in three days' },
    { ...at('m2', 0), kind: 'challenge', group: 'slow', text: 'Nine days to close' },
    {
      ...at('m1', 3),
      kind: 'challenge',
      group: 'docks',
      text: 'Double-booked docks',
      no_cue: true,
    },
    { ...at('m3', 0), kind: 'goal', group: 'leeds', text: 'Warehouse in Leeds' },
  ],
  traps: [
    { ...at('m1', 0), trap: 'seller' },
    { ...at('m1', 2), trap: 'negation' },
    { ...at('m1', 4), trap: 'resolved' },
    { ...at('m2', 2), trap: 'hypothetical' },
    { ...at('m3', 1), trap: 'small_talk' },
    { ...at('m3', 2), trap: 'hedged' },
  ],
};

const set = buildEvalSet(labels, meetings);

function acmeSaid(
  goals: PredictedInsight[],
  challenges: PredictedInsight[] = [],
): CompanyPrediction {
  return { domain: 'acme.com', goals, challenges };
}
const said = (text: string, ...meeting_ids: string[]): PredictedInsight => ({ text, meeting_ids });

describe('scoring predictions against the labelled set', () => {
  it('matches a quote said in a labelled line of a cited meeting, and measures per kind', () => {
    const score = scorePredictions(set, [
      acmeSaid([said('Our goal is to close the books in three days.', 'm1')]),
    ]);
    expect(score.goal).toEqual({
      predictions: 1,
      matched: 1,
      precision: 1,
      groups: 2,
      groupsFound: 1,
      recall: 0.5,
      duplicates: 0,
    });
    expect(score.challenge).toMatchObject({
      predictions: 0,
      precision: null,
      groups: 2,
      recall: 0,
    });
    expect(score.predictions[0]).toMatchObject({ verdict: 'match', groups: ['close'] });
    expect(score.missedGroups).toEqual(['slow', 'docks', 'leeds']);
  });

  it('folds case, typographic quotes, dashes and punctuation, but only matches whole words', () => {
    const score = scorePredictions(set, [
      acmeSaid(
        [said('OUR GOAL is to close the books -- in three days!', 'm1')],
        [
          said('Closing the books still takes "nine" days - far too long', 'm2'),
          said('ight shift keeps double-booking docks', 'm1'),
        ],
      ),
    ]);
    expect(score.predictions.map((p) => p.verdict)).toEqual(['match', 'match', 'unlabelled']);
  });

  it('does not match a line of a meeting the prediction does not cite', () => {
    const score = scorePredictions(set, [
      acmeSaid([said('Our goal is to close the books in three days.', 'm2')]),
    ]);
    expect(score.predictions[0]?.verdict).toBe('unlabelled');
    expect(score.goal.matched).toBe(0);
  });

  it('matches a sentence of the Fathom summary that a label points at', () => {
    const score = scorePredictions(set, [
      acmeSaid([said('Acme wants to close the books in three days.', 'm1')]),
    ]);
    expect(score.predictions[0]?.groups).toEqual(['close']);
  });

  it('counts a group said in several meetings once, and the second prediction of it as a duplicate', () => {
    const score = scorePredictions(set, [
      acmeSaid([
        said('Our goal is to close the books in three days.', 'm1'),
        said('We need the books closed within three days.', 'm2'),
      ]),
    ]);
    expect(score.goal).toMatchObject({ matched: 2, precision: 1, groupsFound: 1, duplicates: 1 });
  });

  it('judges evidence quotes rather than the text, and only those of cited meetings', () => {
    const evidenced = (meetingId: string): PredictedInsight => ({
      text: 'Faster month-end close',
      meeting_ids: ['m2'],
      evidence: [{ meeting_id: meetingId, quote: 'the books closed within three days' }],
    });
    const score = scorePredictions(set, [acmeSaid([evidenced('m2'), evidenced('m1')])]);
    expect(score.predictions.map((p) => p.verdict)).toEqual(['match', 'unlabelled']);
  });

  it('tells a labelled line of the other kind, or of another company, from a match', () => {
    const score = scorePredictions(set, [
      acmeSaid(
        [said('We want to open a warehouse in Leeds.', 'm3')],
        [said('Our goal is to close the books in three days.', 'm1')],
      ),
    ]);
    expect(score.predictions.map((p) => [p.kind, p.verdict])).toEqual([
      ['goal', 'other_company'],
      ['challenge', 'wrong_kind'],
    ]);
    expect(score.verdicts).toMatchObject({ match: 0, other_company: 1, wrong_kind: 1 });
    expect(score.goal.precision).toBe(0);
    expect(score.challenge.precision).toBe(0);
  });

  it('counts the predictions that hit each kind of trap', () => {
    const score = scorePredictions(set, [
      acmeSaid(
        [
          said('Would you want to automate the invoice matching?', 'm1'),
          said("If we ever expanded to Germany we'd need a new ledger.", 'm2'),
        ],
        [
          said('Budget is not a problem for this.', 'm1'),
          said('We used to struggle with exports.', 'm1'),
          said('Budget is not a problem for this.', 'm1'),
        ],
      ),
      {
        domain: 'beta.io',
        goals: [said('I want to get a coffee after this.', 'm3')],
        challenges: [said("Maybe we'd like to try robots one day.", 'm3')],
      },
    ]);
    expect(score.trapHits).toEqual({
      seller: 1,
      negation: 2,
      resolved: 1,
      hypothetical: 1,
      small_talk: 1,
      hedged: 1,
    });
    expect(score.verdicts.trap).toBe(7);
    expect(score.goal.precision).toBe(0);
    // Trap hits are not duplicates: no group was matched twice.
    expect(score.challenge.duplicates).toBe(0);
  });

  it('counts duplicates per company: two companies finding their own groups are not duplicates', () => {
    const score = scorePredictions(set, [
      acmeSaid([said('Our goal is to close the books in three days.', 'm1')]),
      {
        domain: 'beta.io',
        goals: [said('We want to open a warehouse in Leeds.', 'm3')],
        challenges: [],
      },
    ]);
    expect(score.goal).toMatchObject({ matched: 2, groupsFound: 2, recall: 1, duplicates: 0 });
  });

  it('reports how many lines said without a cue word were found', () => {
    const none = scorePredictions(set, [acmeSaid([])]);
    const found = scorePredictions(set, [
      acmeSaid([], [said('The night shift keeps double-booking docks.', 'm1')]),
    ]);
    expect(none.noCueLines).toEqual({ total: 1, found: 0 });
    expect(found.noCueLines).toEqual({ total: 1, found: 1 });
  });

  it('refuses a company the set does not have', () => {
    expect(() =>
      scorePredictions(set, [{ domain: 'gamma.org', goals: [], challenges: [] }]),
    ).toThrow(/gamma\.org/);
  });
});

describe('building the set', () => {
  it('refuses labels that point past a transcript, or disagree with their group', () => {
    const broken: LabelsFile = {
      ...labels,
      labels: [
        { ...at('m1', 9), kind: 'goal', group: 'close', text: 'x' },
        { ...at('m1', 1), kind: 'challenge', group: 'close', text: 'x' },
      ],
    };
    expect(() => buildEvalSet(broken, meetings)).toThrow(
      /no transcript line 9 in meeting m1[\s\S]*kind differs from its group/,
    );
  });
});
