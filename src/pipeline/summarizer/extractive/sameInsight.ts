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
  side blocker blockers concern concerns worry bottleneck going bigger remaining
  own without new take took plan next end team fix solve sort address several many few both lot lots`.split(
    /\s+/,
  ),
);

/**
 * Content words of a sentence, leaving out the company's own name. A compound said with a
 * hyphen somewhere in the company's meetings ("same-day") is one word wherever it is said,
 * with or without the hyphen ("the same day").
 */
export function contentWords(
  text: string,
  companyWord: string,
  compounds: ReadonlySet<string> = new Set(),
): Set<string> {
  const raw = text
    .toLowerCase()
    .split(/[^a-z0-9'-]+/)
    .map((w) => w.replace(/^-+|-+$/g, '').replace(/'s?$/, ''));
  const words: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const pair = `${raw[i]}-${raw[i + 1]}`;
    if (compounds.has(pair)) {
      words.push(pair);
      i++;
    } else words.push(raw[i] as string);
  }
  return new Set(
    words
      .filter((w) => w.length > 1 && !FRAME_WORDS.has(w) && !isCompanyName(w, companyWord))
      .map((w) => NUMBER_WORDS.get(w) ?? stem(w)),
  );
}

/** The two-word compounds written with a hyphen in some of the sentences. */
export function hyphenatedCompounds(sentences: readonly string[]): Set<string> {
  const found = new Set<string>();
  for (const sentence of sentences) {
    for (const match of sentence.toLowerCase().matchAll(/\b[a-z]+-[a-z]+\b/g)) {
      found.add(match[0]);
    }
  }
  return found;
}

/** Numbers said in words meet the same numbers in digits ("under ten", "under 10%"). */
const NUMBER_WORDS = new Map(
  'one two three four five six seven eight nine ten eleven twelve'
    .split(' ')
    .map((word, i) => [word, String(i + 1)]),
);

/** A rough stem, enough for "slots"/"slot", "cancelled"/"cancel", "booking"/"booked". */
function stem(word: string): string {
  return (IRREGULAR.get(word) ?? word)
    .replace(/(?:ing|ed|s)$/, '')
    .replace(/e$/, '')
    .replace(/(.)\1$/, '$1')
    .slice(0, STEM_LENGTH);
}

/** Past forms the suffix rule cannot reach. */
const IRREGULAR = new Map([
  ['made', 'make'],
  ['sent', 'send'],
  ['spent', 'spend'],
  ['paid', 'pay'],
]);

/** Long enough to tell words apart, short enough for "approve"/"approval" to meet. */
const STEM_LENGTH = 6;

/**
 * How much two sentences share, 0 to 1: the share of the smaller one's content words that
 * the other has too. Three words must be shared (two are often one compound, "front desk",
 * and say little), or all of a sentence that has only two; `minShared` lowers that for a
 * comparison already known to be between insights of one kind.
 */
export function sameness(a: Set<string>, b: Set<string>, minShared = 3): number {
  let shared = 0;
  for (const word of a) if (b.has(word)) shared++;
  const smaller = Math.min(a.size, b.size);
  if (shared < Math.min(minShared, smaller) || shared < 2) return 0;
  return shared / smaller;
}
