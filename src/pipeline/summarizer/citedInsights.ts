import type { ProposedInsight } from '../evidence/verifiedInsights.ts';
import { type LlmInsight, llmAnswerSchema } from './llmAnswer.ts';
import type { Insights } from './summarizer.ts';
import { withoutLinePrefix } from './transcriptQuote.ts';

type ProposedQuote = ProposedInsight['quotes'][number];

export const MAX_INSIGHTS = 10;
/** Quotes kept per insight: enough to show where it was said, few enough to read. */
export const MAX_QUOTES = 3;

/** What the LLM's quotes are read against: the run's meetings and who spoke in them. */
export interface QuoteSource {
  meetingIds: ReadonlySet<string>;
  /** Whether the meeting said these words (the pipeline's own check, done again there). */
  said(meetingId: string, quote: string): boolean;
  /** Every transcript speaker's display name, to strip a copied `Name:` from a quote. */
  speakers: ReadonlySet<string>;
}

/**
 * The LLM's answer as proposed insights: duplicates (same text) merged with their quotes,
 * copied line prefixes removed from quotes, quotes that their meeting really said kept
 * first when an insight has more than it keeps (so invented ones cannot push a real one
 * out), and each list capped. Nothing is dropped for a bad quote
 * here: the pipeline verifies every quote and counts what it drops. The answer is validated
 * again here, whatever the SDK parsed.
 */
export function keepCitedInsights(raw: unknown, source: QuoteSource): Insights {
  const parsed = llmAnswerSchema.safeParse(raw);
  if (!parsed.success) return { goals: [], challenges: [] };
  return {
    goals: clean(parsed.data.goals, source),
    challenges: clean(parsed.data.challenges, source),
  };
}

function clean(items: LlmInsight[], source: QuoteSource): ProposedInsight[] {
  const byText = new Map<string, { text: string; quotes: ProposedQuote[] }>();
  for (const item of items) {
    const text = item.text.replace(/\s+/g, ' ').trim();
    if (text === '') continue;
    const quotes = item.evidence
      .map((e) => ({
        meetingId: String(e.meeting_id).trim(),
        quote: withoutLinePrefix(e.quote, source.speakers),
      }))
      .filter((q) => q.quote !== '');
    const key = text.toLowerCase().replace(/[.!]+$/, '');
    const known = byText.get(key);
    if (known) known.quotes.push(...quotes);
    else byText.set(key, { text, quotes });
  }
  return [...byText.values()].slice(0, MAX_INSIGHTS).map(({ text, quotes }) => ({
    text,
    quotes: distinct(quotes)
      .map((quote) => ({ quote, said: source.said(quote.meetingId, quote.quote) }))
      .sort((a, b) => Number(b.said) - Number(a.said))
      .slice(0, MAX_QUOTES)
      .map(({ quote }) => quote),
  }));
}

function distinct(quotes: ProposedQuote[]): ProposedQuote[] {
  const seen = new Map<string, ProposedQuote>();
  for (const quote of quotes)
    seen.set(`${quote.meetingId}\u0000${quote.quote.toLowerCase()}`, quote);
  return [...seen.values()];
}
