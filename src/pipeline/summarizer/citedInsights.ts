import type { InsightRecord } from '../../model/runRecord.ts';
import { type LlmInsight, llmAnswerSchema } from './llmAnswer.ts';
import type { Insights } from './summarizer.ts';

export const MAX_INSIGHTS = 10;

/**
 * The LLM's answer as the run's insights, keeping only those a user can trace: citations of
 * meetings that were not in the input are dropped, an insight left with no citation is
 * dropped, duplicates (same text) are merged with their citations, and each list is capped.
 * The answer is validated again here, whatever the SDK parsed.
 */
export function keepCitedInsights(raw: unknown, meetingIds: ReadonlySet<string>): Insights {
  const parsed = llmAnswerSchema.safeParse(raw);
  if (!parsed.success) return { goals: [], challenges: [] };
  return {
    goals: clean(parsed.data.goals, meetingIds),
    challenges: clean(parsed.data.challenges, meetingIds),
  };
}

function clean(items: LlmInsight[], meetingIds: ReadonlySet<string>): InsightRecord[] {
  const byText = new Map<string, InsightRecord>();
  for (const item of items) {
    const text = item.text.replace(/\s+/g, ' ').trim();
    const cited = [...new Set(item.meeting_ids.map((id) => String(id).trim()))].filter((id) =>
      meetingIds.has(id),
    );
    if (text === '' || cited.length === 0) continue;
    const key = text.toLowerCase().replace(/[.!]+$/, '');
    const known = byText.get(key);
    if (known) known.meeting_ids = [...new Set([...known.meeting_ids, ...cited])];
    else byText.set(key, { text, meeting_ids: cited });
  }
  return [...byText.values()].slice(0, MAX_INSIGHTS);
}
