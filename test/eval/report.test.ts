import { describe, expect, it } from 'vitest';
import type { SetCounts } from '../../eval/evalSet.ts';
import { formatPart, formatReport } from '../../eval/report.ts';
import type { EvalScore, KindScore } from '../../eval/score.ts';

const kind = (precision: number | null, recall: number): KindScore => ({
  predictions: precision === null ? 0 : 10,
  matched: precision === null ? 0 : Math.round(precision * 10),
  precision,
  groups: 10,
  groupsFound: recall * 10,
  recall,
  duplicates: 2,
});

const counts: SetCounts = {
  companies: 3,
  groups: { goal: 10, challenge: 10 },
  transcriptLabels: { goal: 20, challenge: 20 },
  summaryLabels: { goal: 5, challenge: 5 },
  noCueLabels: 7,
  traps: { seller: 4, negation: 3, resolved: 3, hypothetical: 2, small_talk: 2, hedged: 1 },
};

const score: EvalScore = {
  goal: kind(0.8, 0.5),
  challenge: kind(null, 0.6),
  trapHits: { seller: 0, negation: 1, resolved: 2, hypothetical: 0, small_talk: 1, hedged: 0 },
  verdicts: { match: 8, wrong_kind: 0, other_company: 0, trap: 2, unlabelled: 0 },
  noCueLines: { total: 7, found: 3 },
  missedGroups: [],
  predictions: [],
};

describe('the eval report', () => {
  it('prints each figure beside whether it meets its target, trap hits and no-cue lines', () => {
    const lines = formatReport('extractive', 12, counts, score).split('\n');
    const goals = lines.find((line) => line.startsWith('goals')) ?? '';
    const challenges = lines.find((line) => line.startsWith('challenges')) ?? '';
    expect(goals.split(/\s{2,}/)).toEqual([
      'goals',
      '10',
      '8',
      '0.80 met',
      '10',
      '5',
      '0.50 below',
      '2',
    ]);
    expect(challenges.split(/\s{2,}/)).toEqual([
      'challenges',
      '0',
      '0',
      'n/a',
      '10',
      '6',
      '0.60 met',
      '2',
    ]);
    expect(lines).toContain(
      'Trap hits (predictions / trap lines): seller 0/4, negation 1/3, resolved 2/3, hypothetical 0/2, small_talk 1/2, hedged 0/1',
    );
    expect(lines).toContain('Lines said with no cue word, found: 3/7');
  });

  it('prints a part of the set under its title, with its own figures and trap hits', () => {
    const lines = formatPart('Held-out company (acme.com):', score).split('\n');
    expect(lines[0]).toBe('Held-out company (acme.com):');
    expect(lines.find((line) => line.startsWith('goals'))?.split(/\s{2,}/)[3]).toBe('0.80 met');
    expect(lines.at(-1)).toBe(
      'Trap hits: seller 0, negation 1, resolved 2, hypothetical 0, small_talk 1, hedged 0',
    );
  });
});
