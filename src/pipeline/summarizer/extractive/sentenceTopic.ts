/**
 * What a sentence is about: the thing, system or process it speaks of, as the words around
 * it in its meeting name it. Word overlap cannot tell "Every new integration with it takes
 * months" and "The WMS makes getting data out difficult" from two different problems; the
 * line the first is said in can: "My question is the WMS. Every new integration with it
 * takes months, because the vendor only does flat-file exports."
 */

import type { MeetingSentence } from './meetingSentences.ts';

/** What a sentence is about, beyond its own words. */
export interface SentenceTopic {
  /**
   * The content words of the thing the sentence before it in its line named as the
   * subject ("My question is the WMS.", "My bigger issue now is reporting.", "One risk: the
   * analysts' spreadsheets."); empty when that sentence names none.
   */
  named: Set<string>;
  /**
   * The content words of the sentence before it in its line, when this one points back at
   * it ("The core banking platform, the CRM, and a pile of spreadsheets the analysts keep.
   * Customer data is split across all three."); empty otherwise.
   */
  referent: Set<string>;
  /**
   * The sentence this one singles a part of out ("The access logs are the worst",
   * following "Evidence takes weeks to pull from the other systems"), if it does (see
   * sentenceKey).
   */
  continues?: string;
  /**
   * The content words of what each of its clauses says something about, for the clauses
   * that say so plainly before their verb ("The front desk is stretched, so training must
   * be short": front desk, training; "Their main challenge is that reminders are manual":
   * reminders). None for "We want..." or "Kestrel wants...": the company is no subject.
   */
  subjects: Set<string>[];
}

/** Names one sentence of one meeting. */
export function sentenceKey({ meetingId, source, line, quote }: MeetingSentence): string {
  return `${meetingId}\u0000${source}:${line}\u0000${quote}`;
}

/**
 * A sentence that names what the speaker is about to speak of: "My question is the WMS.",
 * "The real problem at Leeds is people.", "One risk: the analysts' spreadsheets." The thing
 * named is what follows the frame.
 */
const NAMES_A_SUBJECT =
  /^(?:(?:my|our|the|one|another|a)\s+)?(?:[\w-]+\s+){0,2}?(?:problem|issue|question|risk|concern|challenge|worry|blocker|bottleneck)s?\b(?:\s+[\w-]+){0,3}?(?:\s*:|\s+(?:is|are|was|were))\s+(.+)$/i;

/**
 * The verbs that end a plain subject: to be, to have, the modals, and the verbs a
 * complaint is most often said with ("keeps double-booking", "takes months").
 */
const VERB_AFTER_SUBJECT =
  /(?:^|\s)(?:is|are|was|were|isn't|aren't|wasn't|has|have|hasn't|can|can't|cannot|could|will|won't|would|must|should|does|doesn't|do|don't|needs?|keeps?|takes?|took|makes?|remains?|still)\b/i;

/** A plain subject is a short noun phrase. */
const MAX_SUBJECT_WORDS = 4;

/**
 * What a sentence says something about: the words before its first verb, or, when those
 * only frame it ("The main blocker is the legacy TMS: ...", "Their main challenge is that
 * reminders are manual"), the subject of what the frame introduces. Undefined when the
 * sentence has no plain subject.
 */
export function subjectOf(
  text: string,
  wordsOf: (phrase: string) => Set<string>,
): Set<string> | undefined {
  const verb = VERB_AFTER_SUBJECT.exec(text);
  if (!verb) return undefined;
  const before = wordsOf(text.slice(0, verb.index));
  if (before.size > 0) return before.size <= MAX_SUBJECT_WORDS ? before : undefined;
  const introduced = /^\s*(?:that\s+)?(.+?)(?:[:;,]|\s(?:because|so)\s|$)/i.exec(
    text.slice(verb.index + verb[0].length),
  )?.[1];
  if (!introduced) return undefined;
  if (VERB_AFTER_SUBJECT.test(introduced)) return subjectOf(introduced, wordsOf);
  const named = wordsOf(introduced);
  return named.size > 0 && named.size <= MAX_SUBJECT_WORDS ? named : undefined;
}

/**
 * Whether two sentences plainly speak of different things: each has a subject, and they
 * have no word in common ("The front desk is stretched" and "Scheduling is not connected to
 * the EHR, so front desk staff enter details twice").
 */
export function differentSubjects(a: SentenceTopic, b: SentenceTopic): boolean {
  if (a.subjects.length === 0 || b.subjects.length === 0) return false;
  return !a.subjects.some((x) => b.subjects.some((y) => [...x].some((word) => y.has(word))));
}

/** The subjects of a sentence's clauses (see subjectOf), those that have a plain one. */
function clauseSubjects(text: string, wordsOf: (phrase: string) => Set<string>): Set<string>[] {
  return text
    .split(/[,;:]\s+|\s(?:and|but|so|because|where|which)\s/i)
    .flatMap((clause) => subjectOf(clause, wordsOf) ?? []);
}

/** Words that point back at what was just said: "it", "them", "all three". */
const POINTS_BACK = /\b(?:it|them|they|those|these|both|all (?:two|three|four|five))\b/i;

/**
 * Singles out the worst part of what was just said: "X are the worst", "the worst is X",
 * "worst of all". Said by the company right after a statement, it is a facet of it.
 */
const SINGLES_OUT =
  /\b(?:is|are|was|were) the (?:worst|hardest)\b|^the (?:worst|hardest) (?:is|are|part)\b|\bworst of all\b/i;

/**
 * Each sentence's topic, from the sentences said before it in its meeting (the company's
 * own lines and Key Takeaways, as meetingSentences gives them, in order). `wordsOf` gives
 * the content words of a phrase.
 */
export function sentenceTopics(
  sentences: readonly MeetingSentence[],
  wordsOf: (phrase: string) => Set<string>,
): SentenceTopic[] {
  return sentences.map((sentence, index) => {
    const previous = sentences[index - 1];
    const sameLine =
      previous && previous.source === sentence.source && previous.line === sentence.line;
    const subject = sameLine ? NAMES_A_SUBJECT.exec(previous.quote)?.[1] : undefined;
    const pointsBack = sameLine && !subject && POINTS_BACK.test(sentence.quote);
    return {
      named: subject ? wordsOf(subject) : new Set<string>(),
      referent: pointsBack ? wordsOf(previous.quote) : new Set<string>(),
      continues: SINGLES_OUT.test(sentence.quote) ? antecedent(sentence, previous) : undefined,
      subjects: clauseSubjects(sentence.quote, wordsOf),
    };
  });
}

/**
 * The statement a sentence follows: the sentence before it in its line, or the last one of
 * the line just before, when the company said that line too (a transcript line the vendor
 * said in between breaks the thread).
 */
function antecedent(
  sentence: MeetingSentence,
  previous: MeetingSentence | undefined,
): string | undefined {
  if (!previous || previous.source !== sentence.source) return undefined;
  const adjacent = previous.line === sentence.line || previous.line === sentence.line - 1;
  return adjacent ? sentenceKey(previous) : undefined;
}

/**
 * Whether two sentences are about one topic: the thing named just before one of them is
 * named by the other too (in its own words or in those it points back at), or one singles
 * out a part of the other.
 */
export function sameTopic(
  a: MeetingSentence & { words: Set<string>; topic: SentenceTopic },
  b: MeetingSentence & { words: Set<string>; topic: SentenceTopic },
): boolean {
  const names = (named: Set<string>, other: { words: Set<string>; topic: SentenceTopic }) =>
    named.size > 0 &&
    [...named].every((word) => other.words.has(word) || other.topic.referent.has(word));
  return (
    names(a.topic.named, b) ||
    names(b.topic.named, a) ||
    a.topic.continues === sentenceKey(b) ||
    b.topic.continues === sentenceKey(a)
  );
}
