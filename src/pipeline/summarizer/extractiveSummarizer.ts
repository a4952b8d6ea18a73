import type { ProposedInsight } from '../evidence/verifiedInsights.ts';
import type { FathomMeeting } from '../fathom/fathomMeeting.ts';
import { inviteeDomain } from '../meetingFacts.ts';
import type { Insights, Summarizer, SummaryRequest } from './summarizer.ts';

/**
 * The offline summariser (SUMMARIZER=extractive): no model, deterministic. It picks
 * sentences that state a goal or a challenge by their cue phrases, from Fathom's summaries
 * and from what the company's own people said, groups sentences that say nearly the same
 * thing across meetings, and cites every meeting a group came from. It quotes; it does not
 * paraphrase or infer, so it finds only what is said in so many words.
 */

const GOAL_CUES: Array<[RegExp, number]> = [
  [/\b(our|the|main|key|primary) (goal|objective|aim)s?\b/i, 3],
  [/\bwants? to\b|\bwe want\b/i, 2],
  [/\b(we|they) (need|plan|hope|intend|aim|expect) to\b/i, 2],
  [/\b(we're|we are|they're|they are) (looking|hoping|planning|trying|aiming) to\b/i, 2],
  [/\bwe'd like to\b|\bwould like to\b/i, 2],
  [/\b(the|our|top) priorit(y|ies)\b/i, 2],
  [/\bby (q[1-4]|the end of|next (quarter|year))\b/i, 1],
  [/\b(cut|reduce|increase|improve|grow|double|halve|launch|expand|automate)\b/i, 1],
];

const CHALLENGE_CUES: Array<[RegExp, number]> = [
  [/\b(biggest|main|key|real) (challenge|problem|issue|pain|blocker|concern)\b/i, 3],
  [/\bchallenge|\bproblem\b|\bpain ?points?\b|\bblockers?\b|\bbottlenecks?\b/i, 2],
  [/\bstruggl|\bfrustrat|\bdifficult|\bhard to\b|\bdoesn't scale\b|\bdoes not scale\b/i, 2],
  [/\bcan't\b|\bcannot\b|\bunable to\b|\btoo (slow|expensive|manual)\b|\bbroken\b/i, 1],
  [/\bmanual(ly)?\b|\bspreadsheets?\b|\bsilo|\bdelays?\b|\berrors?\b/i, 1],
];

const MIN_SCORE = 2;
const MAX_PER_LIST = 8;
/** Two sentences say the same thing when their content words mostly coincide. */
const SAME_JACCARD = 0.5;
const SAME_OVERLAP = 0.7;

interface Candidate {
  kind: 'goal' | 'challenge';
  text: string;
  score: number;
  meetingId: string;
  words: Set<string>;
}

export class ExtractiveSummarizer implements Summarizer {
  async summarize({ domain, meetings }: SummaryRequest, _signal?: AbortSignal): Promise<Insights> {
    const candidates = meetings.flatMap((meeting) => candidatesOf(meeting, domain));
    return {
      goals: rank(candidates.filter((c) => c.kind === 'goal')),
      challenges: rank(candidates.filter((c) => c.kind === 'challenge')),
    };
  }
}

function candidatesOf(meeting: FathomMeeting, domain: string): Candidate[] {
  const sentences: string[] = [];
  const summary = meeting.default_summary?.markdown_formatted;
  if (summary) {
    const aboutAnotherCompany = otherCompanyMention(meeting, domain);
    for (const line of summary.split('\n')) {
      const plain = line.replace(/^\s*(#+|[-*•]|\d+\.)\s*/, '').replace(/\*\*|__|`/g, '');
      if (/^#/.test(line.trim())) continue;
      sentences.push(...splitSentences(plain).filter((s) => !aboutAnotherCompany(s)));
    }
  }
  for (const line of meeting.transcript ?? []) {
    const email = line.speaker?.matched_calendar_invitee_email;
    // Only what the company's own people said counts as the company's goal or challenge.
    if (email && inviteeDomain({ email }) === domain) sentences.push(...splitSentences(line.text));
  }

  const found: Candidate[] = [];
  for (const raw of sentences) {
    const text = tidy(raw);
    if (text.length < 25 || text.length > 280 || text.endsWith('?')) continue;
    const goal = score(text, GOAL_CUES);
    const challenge = score(text, CHALLENGE_CUES);
    const best = Math.max(goal, challenge);
    if (best < MIN_SCORE) continue;
    found.push({
      kind: challenge >= goal ? 'challenge' : 'goal',
      text,
      score: best,
      meetingId: meeting.recording_id,
      words: contentWords(text),
    });
  }
  return found;
}

/**
 * In a meeting with several external companies, Fathom's summary speaks of each of them: a
 * sentence that names another company and not this one is about that other company.
 */
function otherCompanyMention(
  meeting: FathomMeeting,
  domain: string,
): (sentence: string) => boolean {
  const own = companyWord(domain);
  const others = [
    ...new Set(
      meeting.calendar_invitees
        .filter((invitee) => invitee.is_external !== false)
        .map((invitee) => inviteeDomain(invitee))
        .filter((d) => d && d !== domain)
        .map(companyWord)
        .filter((word) => word.length >= 3 && word !== own),
    ),
  ];
  if (others.length === 0) return () => false;
  const mentions = (sentence: string, word: string) =>
    new RegExp(`\\b${word.replace(/[^a-z0-9]/g, '')}`, 'i').test(sentence);
  return (sentence) => !mentions(sentence, own) && others.some((w) => mentions(sentence, w));
}

/** `lumen-retail.com` -> `lumen`: how people name the company in speech. */
function companyWord(domain: string): string {
  const labels = domain.split('.');
  const name = labels.length > 2 ? (labels[labels.length - 2] as string) : (labels[0] as string);
  return (name.split('-')[0] ?? name).toLowerCase();
}

/** Groups near-identical sentences, then orders by how many meetings said it, then strength. */
function rank(candidates: Candidate[]): ProposedInsight[] {
  const groups: Array<{
    best: Candidate;
    meetingIds: Set<string>;
    words: Set<string>;
    quotes: Candidate[];
  }> = [];
  for (const candidate of candidates) {
    const group = groups.find((g) => saySameThing(g.words, candidate.words));
    if (!group) {
      groups.push({
        best: candidate,
        meetingIds: new Set([candidate.meetingId]),
        words: candidate.words,
        quotes: [candidate],
      });
      continue;
    }
    group.meetingIds.add(candidate.meetingId);
    group.quotes.push(candidate);
    if (candidate.score > group.best.score) group.best = candidate;
  }
  return groups
    .sort(
      (a, b) =>
        b.meetingIds.size - a.meetingIds.size ||
        b.best.score - a.best.score ||
        a.best.text.localeCompare(b.best.text),
    )
    .slice(0, MAX_PER_LIST)
    .map((g) => ({ text: g.best.text, quotes: g.quotes.map(quoteOf) }));
}

/** A sentence is its own verbatim quote, from the meeting it came from. */
function quoteOf(candidate: Candidate): ProposedInsight['quotes'][number] {
  return { meetingId: candidate.meetingId, quote: candidate.text };
}

function score(text: string, cues: Array<[RegExp, number]>): number {
  return cues.reduce((sum, [cue, weight]) => sum + (cue.test(text) ? weight : 0), 0);
}

function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+(?=[A-Z"'])/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Drops spoken filler at the start, and makes it read as a sentence. */
function tidy(sentence: string): string {
  let text = sentence.replace(/\s+/g, ' ').trim();
  text = text.replace(/^((so|yeah|yes|well|honestly|okay|ok|right|and|but|look|um|uh),?\s+)+/i, '');
  if (text === '') return text;
  text = text[0]?.toUpperCase() + text.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

const STOP_WORDS = new Set(
  'the a an and or but to of in on for with our we they their is are was were be been it that this at by from as so can'.split(
    ' ',
  ),
);

function contentWords(text: string): Set<string> {
  return new Set(
    text
      .toLowerCase()
      .split(/[^a-z0-9']+/)
      .filter((w) => w.length > 2 && !STOP_WORDS.has(w)),
  );
}

function saySameThing(a: Set<string>, b: Set<string>): boolean {
  let shared = 0;
  for (const word of a) if (b.has(word)) shared++;
  const union = a.size + b.size - shared;
  const smaller = Math.min(a.size, b.size);
  if (union === 0) return false;
  return shared / union >= SAME_JACCARD || (smaller >= 5 && shared / smaller >= SAME_OVERLAP);
}
