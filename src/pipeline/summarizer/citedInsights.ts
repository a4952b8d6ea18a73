import { z } from 'zod';
import type { InsightRecord } from '../../model/runRecord.ts';
import type { Insights } from './summarizer.ts';

export const MAX_INSIGHTS = 10;

/** What the LLM must answer; also validated again before anything is stored. */
export const insightsSchema = z.object({
  goals: z.array(z.object({ text: z.string(), meeting_ids: z.array(z.string()) })),
  challenges: z.array(z.object({ text: z.string(), meeting_ids: z.array(z.string()) })),
});

/**
 * Keeps only insights a user can trace: citations of meetings that were not in the input
 * are dropped, an insight left with no citation is dropped, duplicates (same text) are
 * merged with their citations, and each list is capped.
 */
export function keepCitedInsights(raw: unknown, meetingIds: ReadonlySet<string>): Insights {
  const parsed = insightsSchema.safeParse(raw);
  if (!parsed.success) return { goals: [], challenges: [] };
  return {
    goals: clean(parsed.data.goals, meetingIds),
    challenges: clean(parsed.data.challenges, meetingIds),
  };
}

function clean(items: InsightRecord[], meetingIds: ReadonlySet<string>): InsightRecord[] {
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
