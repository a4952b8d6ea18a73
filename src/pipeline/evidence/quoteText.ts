/**
 * The contract's rule for comparing a quote with what was said: lower-case, typographic
 * quotes and dashes folded to plain ones, and every run of whitespace and punctuation
 * collapsed to one space. The normalised text remembers where each of its characters came
 * from, so that a match can be cut out of the original text verbatim.
 */
export interface NormalizedText {
  readonly text: string;
  /** For each character of `text`, the index in the original of the character it came from. */
  readonly origin: readonly number[];
}

const FOLDED: Readonly<Record<string, string>> = {
  '\u2018': "'",
  '\u2019': "'",
  '\u201A': "'",
  '\u201B': "'",
  '\u2032': "'",
  '\u201C': '"',
  '\u201D': '"',
  '\u201E': '"',
  '\u201F': '"',
  '\u2033': '"',
  '\u00AB': '"',
  '\u00BB': '"',
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2013': '-',
  '\u2014': '-',
  '\u2015': '-',
  '\u2212': '-',
};

/** Whitespace, punctuation and symbols: what separates words, collapsed to one space. */
const SEPARATOR = /[\s\p{P}\p{S}]/u;

export function normalizeQuoteText(original: string): NormalizedText {
  let text = '';
  const origin: number[] = [];
  let pendingSpace = false;
  let index = 0;
  for (const char of original) {
    const folded = FOLDED[char] ?? char;
    if (SEPARATOR.test(folded)) {
      pendingSpace = text.length > 0;
    } else {
      if (pendingSpace) {
        text += ' ';
        origin.push(index);
        pendingSpace = false;
      }
      for (const lower of folded.toLowerCase()) {
        text += lower;
        origin.push(index);
      }
    }
    index += char.length;
  }
  return { text, origin };
}

/**
 * Where `quote` (already normalised, not empty) occurs in `within`, as the verbatim slice of
 * `within`'s original text from the first to the last matching character; null when it
 * does not occur.
 */
export function findQuote(
  within: NormalizedText,
  originalText: string,
  quote: string,
): string | null {
  const at = within.text.indexOf(quote);
  if (at < 0 || quote === '') return null;
  const start = within.origin[at] ?? 0;
  const lastOrigin = within.origin[at + quote.length - 1] ?? start;
  const lastChar = originalText.codePointAt(lastOrigin) ?? 0;
  return originalText.slice(start, lastOrigin + (lastChar > 0xffff ? 2 : 1));
}
