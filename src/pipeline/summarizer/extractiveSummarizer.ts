import type { ProposedInsight } from '../evidence/verifiedInsights.ts';
import {
  type InsightKind,
  kindScores,
  leavesOutWholeLine,
  notAnInsight,
} from './extractive/insightCues.ts';
import {
  companyWord,
  type MeetingSentence,
  meetingSentences,
} from './extractive/meetingSentences.ts';
import { contentWords, sameness } from './extractive/sameInsight.ts';
import type { Insights, Summarizer, SummaryRequest } from './summarizer.ts';

/**
 * The offline summariser (SUMMARIZER=extractive): no model, deterministic. It picks
 * sentences that state a goal or a challenge, from Fathom's key takeaways and from what the
 * company's own people said, leaves out what only sounds like one (denied, already fixed,
 * imagined, hedged, small talk), groups sentences that say the same thing across meetings,
 * and cites every meeting a group came from. It quotes; it does not paraphrase or infer.
 */

const MIN_SCORE = 2;
const MAX_PER_LIST = 8;
/** Sentences read as the same kind are one insight from this sameness on. */
const SAME_KIND_SAMENESS = 0.45;
/** A goal and a challenge are one insight only when they say nearly the same words. */
const OTHER_KIND_SAMENESS = 0.7;

interface Candidate extends MeetingSentence {
  kind: InsightKind;
  score: number;
  words: Set<string>;
}

interface Group {
  members: Candidate[];
}

export class ExtractiveSummarizer implements Summarizer {
  /** The insights, each with the verbatim sentences behind it, meeting by meeting. */
  async summarize({ domain, meetings }: SummaryRequest, _signal?: AbortSignal): Promise<Insights> {
    const name = companyWord(domain);
    const candidates = meetings.flatMap((meeting) => {
      const sentences = meetingSentences(meeting, domain);
      const linesLeftOut = new Set(
        sentences.filter((s) => leavesOutWholeLine(s.quote)).map(lineOf),
      );
      return sentences
        .filter((sentence) => !linesLeftOut.has(lineOf(sentence)))
        .flatMap((sentence) => candidate(sentence, name) ?? []);
    });
    const groups = groupSameInsight(candidates);
    return { goals: rank(groups, 'goal'), challenges: rank(groups, 'challenge') };
  }
}

function lineOf({ source, line }: MeetingSentence): string {
  return `${source}:${line}`;
}

function candidate(sentence: MeetingSentence, name: string): Candidate | undefined {
  const text = sentence.quote;
  if (text.length < 30 || text.length > 280 || text.endsWith('?')) return undefined;
  if (notAnInsight(text)) return undefined;
  const scores = kindScores(text);
  const kind: InsightKind = scores.goal > scores.challenge ? 'goal' : 'challenge';
  if (scores[kind] < MIN_SCORE) return undefined;
  const words = contentWords(text, name);
  // "That's a problem we'll need to fix" names nothing: it only points at what was said before.
  if (words.size < 2) return undefined;
  return { ...sentence, kind, score: scores[kind], words };
}

/**
 * Sentences that say the same thing become one group, whatever kind each reads as alone:
 * two sentences alike enough are in one group, and so is everything alike to either
 * (paraphrases across meetings meet through the sentences between them).
 */
function groupSameInsight(candidates: Candidate[]): Group[] {
  // Union-find: each candidate points towards its group's first candidate.
  const root = candidates.map((_, i) => i);
  const find = (i: number): number => {
    let at = i;
    while (root[at] !== at) at = root[at] as number;
    return at;
  };
  candidates.forEach((a, i) => {
    candidates.slice(i + 1).forEach((b, offset) => {
      const threshold = a.kind === b.kind ? SAME_KIND_SAMENESS : OTHER_KIND_SAMENESS;
      if (sameness(a.words, b.words) >= threshold) root[find(i + 1 + offset)] = find(i);
    });
  });
  const groups = new Map<number, Group>();
  candidates.forEach((candidate, i) => {
    const key = find(i);
    const group = groups.get(key) ?? { members: [] };
    group.members.push(candidate);
    groups.set(key, group);
  });
  return [...groups.values()];
}

/** The group's kind: the one its sentences read as, weighted by how strongly. */
function kindOf(group: Group): InsightKind {
  const weight = (kind: InsightKind) =>
    group.members.reduce((sum, m) => sum + (m.kind === kind ? m.score : 0), 0);
  return weight('goal') > weight('challenge') ? 'goal' : 'challenge';
}

/** A kind's groups, most often said first, then most strongly; each quoting its best sentence. */
function rank(groups: Group[], kind: InsightKind): ProposedInsight[] {
  return groups
    .filter((group) => kindOf(group) === kind)
    .map((group) => {
      const members = group.members.filter((m) => m.kind === kind);
      const best = members.reduce((a, b) =>
        b.score > a.score || (b.score === a.score && b.words.size > a.words.size) ? b : a,
      );
      const meetingIds = [...new Set(group.members.map((m) => m.meetingId))];
      const strength = members.reduce((sum, m) => sum + m.score, 0);
      // Fathom's key takeaways are what the meeting was about; an aside seldom makes them.
      const takeaway = group.members.some((m) => m.source === 'summary') ? 1 : 0;
      return { best, meetingIds, strength, takeaway, quotes: group.members };
    })
    .sort(
      (a, b) =>
        b.meetingIds.length - a.meetingIds.length ||
        b.takeaway - a.takeaway ||
        b.strength - a.strength ||
        a.best.quote.localeCompare(b.best.quote),
    )
    .slice(0, MAX_PER_LIST)
    .map(({ best, quotes }) => ({
      text: asSentence(best.quote),
      quotes: quotes.map(({ meetingId, quote }) => ({ meetingId, quote })),
    }));
}

/** The quote as a sentence: capitalised, ending in a full stop. */
function asSentence(quote: string): string {
  const text = quote.replace(/\s+/g, ' ').trim();
  const capital = (text[0]?.toUpperCase() ?? '') + text.slice(1);
  return /[.!]$/.test(capital) ? capital : `${capital.replace(/[,;:]$/, '')}.`;
}
