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
import { contentWords, hyphenatedCompounds, sameness } from './extractive/sameInsight.ts';
import {
  differentSubjects,
  type SentenceTopic,
  sameTopic,
  sentenceTopics,
} from './extractive/sentenceTopic.ts';
import type { Insights, Summarizer, SummaryRequest } from './summarizer.ts';

/**
 * The offline summariser (SUMMARIZER=extractive): no model, deterministic. It picks
 * sentences that state a goal or a challenge, from Fathom's key takeaways and from what the
 * company's own people said, leaves out what only sounds like one (denied, already fixed,
 * imagined, hedged, small talk), groups sentences that say the same thing across meetings,
 * and cites every meeting a group came from. It quotes; it does not paraphrase or infer.
 */

const MIN_SCORE = 2;
/**
 * "That's the front desk problem in one sentence", "It has to launch on this": a sentence
 * whose subject is what was said before names its subject elsewhere, and would join
 * insights that only share a word with it.
 */
const REFERS_BACK = /^(?:(?:today|now|right now|currently),?\s+)?(?:that|this|it)(?:'s|\s)/i;
const MAX_PER_LIST = 8;
/** Sentences read as the same kind are one insight from this sameness on. */
const SAME_KIND_SAMENESS = 0.45;
/** A goal and a challenge are one insight only when they say nearly the same words. */
const OTHER_KIND_SAMENESS = 0.7;

interface Candidate extends MeetingSentence {
  kind: InsightKind;
  score: number;
  words: Set<string>;
  topic: SentenceTopic;
}

interface Group {
  members: Candidate[];
}

export class ExtractiveSummarizer implements Summarizer {
  /** The insights, each with the verbatim sentences behind it, meeting by meeting. */
  async summarize({ domain, meetings }: SummaryRequest, _signal?: AbortSignal): Promise<Insights> {
    const name = companyWord(domain);
    const said = meetings.map((meeting) => meetingSentences(meeting, domain));
    const compounds = hyphenatedCompounds(said.flat().map((sentence) => sentence.quote));
    const candidates = said.flatMap((sentences) => {
      const linesLeftOut = new Set(
        sentences.filter((s) => leavesOutWholeLine(s.quote)).map(lineOf),
      );
      const wordsOf = (text: string) => contentWords(text, name, compounds);
      const topics = sentenceTopics(sentences, wordsOf);
      return sentences.flatMap((sentence, i) =>
        linesLeftOut.has(lineOf(sentence))
          ? []
          : (candidate(sentence, wordsOf(sentence.quote), topics[i] as SentenceTopic) ?? []),
      );
    });
    const groups = mergeSameTopic(mergeSameSubject(groupSameInsight(candidates)));
    return { goals: rank(groups, 'goal'), challenges: rank(groups, 'challenge') };
  }
}

function lineOf({ source, line }: MeetingSentence): string {
  return `${source}:${line}`;
}

function candidate(
  sentence: MeetingSentence,
  words: Set<string>,
  topic: SentenceTopic,
): Candidate | undefined {
  const text = sentence.quote;
  if (text.length < 30 || text.length > 280 || text.endsWith('?')) return undefined;
  if (notAnInsight(text)) return undefined;
  const scores = kindScores(text);
  const kind: InsightKind = scores.goal > scores.challenge ? 'goal' : 'challenge';
  if (scores[kind] < MIN_SCORE) return undefined;
  // "That's a problem we'll need to fix" names nothing: it only points at what was said before.
  if (words.size < 2 || REFERS_BACK.test(text)) return undefined;
  return { ...sentence, kind, score: scores[kind], words, topic };
}

/**
 * Sentences that say the same thing become one group, whatever kind each reads as alone:
 * two sentences alike enough are in one group, and so is everything alike to either
 * (paraphrases across meetings meet through the sentences between them).
 */
function groupSameInsight(candidates: Candidate[]): Group[] {
  return connected(candidates, (a, b) => {
    const threshold = a.kind === b.kind ? SAME_KIND_SAMENESS : OTHER_KIND_SAMENESS;
    return sameness(a.words, b.words) >= threshold;
  }).map((members) => ({ members }));
}

/** Groups of one kind are one insight from this sameness of their closest sentences on. */
const SAME_SUBJECT_SAMENESS = 0.33;
/** ...when they share at least this many content words. */
const SAME_SUBJECT_SHARED = 2;

/**
 * Groups of the same kind whose closest sentences of that kind share words naming one
 * subject are one insight said in other words ("KYC checks are mostly manual", "document
 * checks will not scale to another country"): a looser test than for two sentences alone,
 * made only between groups already read as the same kind. Every sentence of each is kept,
 * so the merged insight quotes them all.
 *
 * Two challenges whose clauses plainly speak of different things are not joined by the
 * words they share ("The front desk is stretched, so training must be short" and
 * "Scheduling is not connected to the EHR, so front desk staff enter details twice"): a
 * challenge is a state of its subject. A goal is often said with whoever is to act as its
 * subject ("The fraud team should only be looking at the truly risky cases", "The analysts
 * should only look at applications that are actually unusual"), so its subject does not
 * tell what it is about.
 */
function mergeSameSubject(groups: Group[]): Group[] {
  return mergeOfOneKind(
    groups,
    (x, y) =>
      sameness(x.words, y.words, SAME_SUBJECT_SHARED) >= SAME_SUBJECT_SAMENESS &&
      !(x.kind === 'challenge' && differentSubjects(x.topic, y.topic)),
  );
}

/**
 * Groups of the same kind about one topic are one insight, however few words they share:
 * "Every new integration with it takes months", said right after "My question is the WMS",
 * and "The 15-year-old WMS makes getting data out difficult" are both the WMS; "The access
 * logs from the core platform are the worst", said right after "Evidence still takes weeks
 * to pull from the other systems", is a part of that evidence (see sentenceTopic).
 */
function mergeSameTopic(groups: Group[]): Group[] {
  return mergeOfOneKind(groups, sameTopic);
}

/**
 * Groups of the same kind of which some sentence of that kind of one is `alike` to one of
 * the other become one group (and so does everything linked to either), keeping every
 * sentence of each, so the merged insight quotes them all.
 */
function mergeOfOneKind(groups: Group[], alike: (x: Candidate, y: Candidate) => boolean): Group[] {
  const kinds = groups.map((group) => {
    const kind = kindOf(group);
    return { group, kind, ofKind: group.members.filter((member) => member.kind === kind) };
  });
  return connected(kinds, (a, b) => {
    if (a.kind !== b.kind) return false;
    return a.ofKind.some((x) => b.ofKind.some((y) => alike(x, y)));
  }).map((linked) => ({ members: linked.flatMap(({ group }) => group.members) }));
}

/**
 * The items in sets: two items that are alike are in one set, and so is everything alike to
 * either (union-find; each set keeps its items' order).
 */
function connected<T>(items: readonly T[], alike: (a: T, b: T) => boolean): T[][] {
  const root = items.map((_, i) => i);
  const find = (i: number): number => {
    let at = i;
    while (root[at] !== at) at = root[at] as number;
    return at;
  };
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      if (find(i) !== find(j) && alike(items[i] as T, items[j] as T)) root[find(j)] = find(i);
    }
  }
  const sets = new Map<number, T[]>();
  items.forEach((item, i) => {
    const key = find(i);
    const set = sets.get(key);
    if (set) set.push(item);
    else sets.set(key, [item]);
  });
  return [...sets.values()];
}

/** The group's kind: the one its sentences read as, weighted by how strongly. */
function kindOf(group: Group): InsightKind {
  const weight = (kind: InsightKind) =>
    group.members.reduce((sum, m) => sum + (m.kind === kind ? m.score : 0), 0);
  return weight('goal') > weight('challenge') ? 'goal' : 'challenge';
}

/** A kind's groups, most often said first, then most strongly; each quoting its best sentence. */
function rank(groups: Group[], kind: InsightKind): ProposedInsight[] {
  const withTakeaways = groups.some((group) => group.members.some((m) => m.source === 'summary'));
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
    .filter((group) => !withTakeaways || saidMoreThanInPassing(group))
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

/**
 * Said in two meetings, or in Fathom's key takeaways: what was said once, in passing, is a
 * facet of another insight more often than an insight of its own. Asked only of meetings
 * whose summaries have key takeaways (a summary template without them leaves every insight).
 */
function saidMoreThanInPassing(group: { meetingIds: string[]; takeaway: number }): boolean {
  return group.meetingIds.length > 1 || group.takeaway === 1;
}

/** The quote as a sentence: capitalised, ending in a full stop. */
function asSentence(quote: string): string {
  const text = quote.replace(/\s+/g, ' ').trim();
  const capital = (text[0]?.toUpperCase() ?? '') + text.slice(1);
  return /[.!]$/.test(capital) ? capital : `${capital.replace(/[,;:]$/, '')}.`;
}
