import {
  type EvalSet,
  type InsightKind,
  type Label,
  type MarkedLine,
  TRAP_KINDS,
  type TrapKind,
} from './evalSet.ts';
import { isSaidIn, normaliseForMatch } from './normaliseForMatch.ts';

/**
 * Scores summariser output against the labelled set. A prediction matches a label group of
 * its kind and company when one of its quotes (its evidence quotes, or its text when it has
 * no evidence) is said in a line of that group, in a meeting the prediction cites.
 */

/** An insight as the pipeline stores it; evidence when the summariser gives it. */
export interface PredictedInsight {
  text: string;
  meeting_ids: string[];
  evidence?: ReadonlyArray<{ meeting_id: string; quote: string }>;
}

export interface CompanyPrediction {
  domain: string;
  goals: PredictedInsight[];
  challenges: PredictedInsight[];
}

/**
 * match: says a labelled insight of its kind and company. wrong_kind: a labelled line of
 * the company, but of the other kind. other_company: a labelled line of another company.
 * trap: only trap lines. unlabelled: no labelled or trap line (a paraphrase, a line the
 * labels leave out, or text from nowhere).
 */
export type Verdict = 'match' | 'wrong_kind' | 'other_company' | 'trap' | 'unlabelled';

export interface ScoredPrediction {
  domain: string;
  kind: InsightKind;
  text: string;
  verdict: Verdict;
  /** Groups of its kind and company it matches. */
  groups: string[];
  traps: TrapKind[];
}

export interface KindScore {
  predictions: number;
  matched: number;
  /** matched / predictions; null without predictions. */
  precision: number | null;
  groups: number;
  groupsFound: number;
  /** groupsFound / groups; null without groups. */
  recall: number | null;
  /** Predictions beyond the first that match a group the company already has a match for. */
  duplicates: number;
}

export interface EvalScore {
  goal: KindScore;
  challenge: KindScore;
  /** Predictions that hit a trap line of each kind. */
  trapHits: Record<TrapKind, number>;
  verdicts: Record<Verdict, number>;
  /** Labelled lines said with no cue word, and how many of them a matching prediction quoted. */
  noCueLines: { total: number; found: number };
  missedGroups: string[];
  predictions: ScoredPrediction[];
}

const KINDS: InsightKind[] = ['goal', 'challenge'];

export function scorePredictions(set: EvalSet, companies: CompanyPrediction[]): EvalScore {
  const known = new Set(set.companies.map((company) => company.domain));
  const scored: ScoredPrediction[] = [];
  const foundGroups = new Set<string>();
  const foundLines = new Set<Label>();
  const duplicates: Record<InsightKind, number> = { goal: 0, challenge: 0 };

  for (const company of companies) {
    if (!known.has(company.domain)) throw new Error(`${company.domain} is not in the eval set`);
    for (const kind of KINDS) {
      const matchesPerGroup = new Map<string, number>();
      for (const insight of kind === 'goal' ? company.goals : company.challenges) {
        const lines = linesSaying(set, insight);
        const prediction = judge(set, company.domain, kind, insight.text, lines);
        for (const group of prediction.groups) {
          foundGroups.add(group);
          matchesPerGroup.set(group, (matchesPerGroup.get(group) ?? 0) + 1);
        }
        for (const line of lines) {
          for (const label of line.labels) {
            if (prediction.groups.includes(label.group)) foundLines.add(label);
          }
        }
        scored.push(prediction);
      }
      for (const count of matchesPerGroup.values()) duplicates[kind] += Math.max(0, count - 1);
    }
  }

  const kindScore = (kind: InsightKind): KindScore => {
    const predictions = scored.filter((p) => p.kind === kind);
    const matched = predictions.filter((p) => p.verdict === 'match').length;
    const groups = [...set.groups.values()].filter((g) => g.kind === kind);
    const groupsFound = groups.filter((g) => foundGroups.has(g.id)).length;
    return {
      predictions: predictions.length,
      matched,
      precision: ratio(matched, predictions.length),
      groups: groups.length,
      groupsFound,
      recall: ratio(groupsFound, groups.length),
      duplicates: duplicates[kind],
    };
  };

  const noCue = set.labels.filter((label) => label.no_cue);
  return {
    goal: kindScore('goal'),
    challenge: kindScore('challenge'),
    trapHits: Object.fromEntries(
      TRAP_KINDS.map((trap) => [trap, scored.filter((p) => p.traps.includes(trap)).length]),
    ) as Record<TrapKind, number>,
    verdicts: countVerdicts(scored),
    noCueLines: { total: noCue.length, found: noCue.filter((l) => foundLines.has(l)).length },
    missedGroups: [...set.groups.keys()].filter((id) => !foundGroups.has(id)),
    predictions: scored,
  };
}

/** The marked lines of cited meetings that one of the insight's quotes is said in. */
function linesSaying(set: EvalSet, insight: PredictedInsight): MarkedLine[] {
  const cited = new Set(insight.meeting_ids);
  const quotes =
    insight.evidence && insight.evidence.length > 0
      ? insight.evidence
          .filter((item) => cited.has(item.meeting_id))
          .map((item) => ({ quote: item.quote, meetingIds: [item.meeting_id] }))
      : [{ quote: insight.text, meetingIds: [...cited] }];
  const found = new Set<MarkedLine>();
  for (const { quote, meetingIds } of quotes) {
    const normalised = normaliseForMatch(quote);
    for (const id of meetingIds) {
      for (const line of set.markedLines.get(id) ?? []) {
        if (isSaidIn(normalised, line.normalised)) found.add(line);
      }
    }
  }
  return [...found];
}

function judge(
  set: EvalSet,
  domain: string,
  kind: InsightKind,
  text: string,
  lines: MarkedLine[],
): ScoredPrediction {
  const labelGroups = lines.flatMap((line) =>
    line.labels.flatMap((label) => set.groups.get(label.group) ?? []),
  );
  const ofCompany = labelGroups.filter((group) => group.domain === domain);
  const groups = [...new Set(ofCompany.filter((g) => g.kind === kind).map((g) => g.id))];
  const traps = [...new Set(lines.flatMap((line) => line.traps))];
  let verdict: Verdict;
  if (groups.length > 0) verdict = 'match';
  else if (ofCompany.length > 0) verdict = 'wrong_kind';
  else if (labelGroups.length > 0) verdict = 'other_company';
  else if (traps.length > 0) verdict = 'trap';
  else verdict = 'unlabelled';
  return { domain, kind, text, verdict, groups, traps };
}

function countVerdicts(scored: ScoredPrediction[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = {
    match: 0,
    wrong_kind: 0,
    other_company: 0,
    trap: 0,
    unlabelled: 0,
  };
  for (const prediction of scored) counts[prediction.verdict] += 1;
  return counts;
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}
