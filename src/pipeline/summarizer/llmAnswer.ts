import { z } from 'zod';
import type { ProposedInsight } from '../evidence/verifiedInsights.ts';

/**
 * The structured answer the LLM is asked for: its JSON schema goes with every request, so it
 * is the LLM's contract, not the run model's. It has its own type, mapped to the proposed
 * insights by `keepCitedInsights`, so that either can change without the other. Strict
 * Structured Outputs require every property, so nothing here is optional.
 */

/** A quote copied word for word from one meeting's material. */
const llmEvidenceSchema = z.object({ meeting_id: z.string(), quote: z.string() });

/** One finding as the LLM writes it: a sentence and the quotes behind it. */
const llmInsightSchema = z.object({ text: z.string(), evidence: z.array(llmEvidenceSchema) });

export const llmAnswerSchema = z.object({
  goals: z.array(llmInsightSchema),
  challenges: z.array(llmInsightSchema),
});

export type LlmAnswer = z.infer<typeof llmAnswerSchema>;
export type LlmInsight = z.infer<typeof llmInsightSchema>;

/** A finding of an earlier request, given back to the LLM to merge, in the shape it answers in. */
export function toLlmInsight(insight: ProposedInsight): LlmInsight {
  return {
    text: insight.text,
    evidence: insight.quotes.map((q) => ({ meeting_id: q.meetingId, quote: q.quote })),
  };
}
