import { normalizeQuoteText } from '../src/pipeline/evidence/quoteText.ts';

/** The contract's rule for comparing a quote with a meeting's text, as the service applies it. */
export function normaliseForMatch(text: string): string {
  return normalizeQuoteText(text).text;
}

/** Whether a quote is said in a line, after normalising both: whole words only. */
export function isSaidIn(normalisedQuote: string, normalisedLine: string): boolean {
  return normalisedQuote !== '' && ` ${normalisedLine} `.includes(` ${normalisedQuote} `);
}
