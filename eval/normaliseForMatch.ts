/**
 * The contract's rule for comparing a quote with a meeting's text: lower-case, typographic
 * quotes and dashes folded to plain ones, whitespace and punctuation collapsed. Every run of
 * characters that are not letters or digits becomes one space, which folds the typographic
 * quotes and dashes too; so "99.8%" and "99 8" compare equal.
 */
export function normaliseForMatch(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Whether a quote is said in a line, after normalising both: whole words only. */
export function isSaidIn(normalisedQuote: string, normalisedLine: string): boolean {
  return normalisedQuote !== '' && ` ${normalisedLine} `.includes(` ${normalisedQuote} `);
}
