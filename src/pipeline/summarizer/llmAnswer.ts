import { z } from 'zod';
import type { InsightRecord } from '../../model/runRecord.ts';

/**
 * The structured answer the LLM is asked for: its JSON schema goes with every request, so it
 * is the LLM's contract, not the run model's. It has its own type, mapped to the model's
 * insights by `keepCitedInsights`, so that either can change without the other.
 */

/** One finding as the LLM writes it: a sentence and the ids of the meetings behind it. */
const llmInsightSchema = z.object({ text: z.string(), meeting_ids: z.array(z.string()) });

export const llmAnswerSchema = z.object({
  goals: z.array(llmInsightSchema),
  challenges: z.array(llmInsightSchema),
});

export type LlmAnswer = z.infer<typeof llmAnswerSchema>;
export type LlmInsight = z.infer<typeof llmInsightSchema>;

/** A finding of an earlier request, given back to the LLM to merge, in the shape it answers in. */
export function toLlmInsight(insight: InsightRecord): LlmInsight {
  return { text: insight.text, meeting_ids: insight.meeting_ids };
}
