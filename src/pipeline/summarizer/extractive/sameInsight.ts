/**
 * Whether two sentences say the same thing: their content words, reduced to a rough stem,
 * mostly coincide. Words that only frame a statement ("we want", "the problem is") and the company's own name are left out, so that
 * "Acme wants to backfill cancelled slots" and "We want to be able to backfill cancelled
 * slots" are one insight.
 */

import { isCompanyName } from './meetingSentences.ts';

const FRAME_WORDS = new Set(
  `the a an and or but to of in on for with our we they their them is are was were be been it its
  that this at by from as so can could would should will just also still really very about all
  want wants wanted need needs needed like able get got have has had do does did make makes
  goal goals aim aims target objective priority problem problems issue issues challenge challenges
  main key biggest real one two there here then than what which who how when where why because
  us you your my me i i'm we're it's that's they're today now every each any some more most not
  don't can't isn't day days week weeks month months year years time pain point points part thing
  side blocker blockers concern concerns worry bottleneck going bigger remaining`.split(/\s+/),
);

/** Content words of a sentence, leaving out the company's own name. */
export function contentWords(text: string, companyWord: string): Set<string> {
  return new Set(
    text
      .toLowerCase()
      .split(/[^a-z0-9'-]+/)
      .map((w) => w.replace(/^-+|-+$/g, ''))
      .map((w) => w.replace(/'s?$/, ''))
      .filter((w) => w.length > 1 && !FRAME_WORDS.has(w) && !isCompanyName(w, companyWord))
      .map((w) => NUMBER_WORDS.get(w) ?? stem(w)),
  );
}

/** Numbers said in words meet the same numbers in digits ("under ten", "under 10%"). */
const NUMBER_WORDS = new Map(
  'one two three four five six seven eight nine ten eleven twelve'
    .split(' ')
    .map((word, i) => [word, String(i + 1)]),
);

/** A rough stem, enough for "slots"/"slot", "cancelled"/"cancel", "booking"/"booked". */
function stem(word: string): string {
  return word
    .replace(/(?:ing|ed|s)$/, '')
    .replace(/e$/, '')
    .replace(/(.)\1$/, '$1')
    .slice(0, STEM_LENGTH);
}

/** Long enough to tell words apart, short enough for "approve"/"approval" to meet. */
const STEM_LENGTH = 6;

/**
 * How much two sentences share, 0 to 1: the share of the smaller one's content words that
 * the other has too. Three words must be shared (two are often one compound, "front desk",
 * and say little), or all of a sentence that has only two.
 */
export function sameness(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const word of a) if (b.has(word)) shared++;
  const smaller = Math.min(a.size, b.size);
  if (shared < Math.min(3, smaller) || shared < 2) return 0;
  return shared / smaller;
}
