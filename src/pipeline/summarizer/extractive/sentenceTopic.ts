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
