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

/**
 * What separates words: anything but a letter, a digit or a combining mark. Plain and
 * typographic quotes and dashes are all separators, so folding one into the other is
 * implied; "99.8%" reads as "99 8".
 */
const SEPARATOR = /[^\p{L}\p{N}\p{M}]/u;

export function normalizeQuoteText(original: string): NormalizedText {
  let text = '';
  const origin: number[] = [];
  let pendingSpace = false;
  let index = 0;
  for (const char of original) {
    if (SEPARATOR.test(char)) {
      pendingSpace = text.length > 0;
    } else {
      if (pendingSpace) {
        text += ' ';
        origin.push(index);
        pendingSpace = false;
      }
      for (const lower of char.toLowerCase()) {
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
