import type { MeetingQuotes, VerifiedQuote } from './meetingQuotes.ts';

/** An insight as a summariser proposes it: a claim and the quotes it says support it. */
export interface ProposedInsight {
  text: string;
  quotes: ReadonlyArray<{ meetingId: string; quote: string }>;
}

/** An insight whose every quote was found in the meeting it names. */
export interface EvidencedInsight {
  text: string;
  /** The meetings of its evidence, in the order first quoted. */
  meetingIds: string[];
  evidence: VerifiedQuote[];
}

export interface VerifiedInsights {
  kept: EvidencedInsight[];
  /** Proposed insights left with no verified quote. */
  dropped: number;
}

/**
 * Checks each proposed insight against the meetings' own text: a quote that names a meeting
 * outside the run, or that the meeting did not say, is removed; an insight left without
 * evidence is dropped and counted. The same words found twice are kept once.
 */
export function verifyInsights(
  proposed: readonly ProposedInsight[],
  meetings: ReadonlyMap<string, MeetingQuotes>,
): VerifiedInsights {
  const kept: EvidencedInsight[] = [];
  let dropped = 0;
  for (const insight of proposed) {
    const evidence: VerifiedQuote[] = [];
    const seen = new Set<string>();
    for (const { meetingId, quote } of insight.quotes) {
      const found = meetings.get(meetingId)?.find(quote);
      if (!found) continue;
      const key = `${found.meetingId}\u0000${found.line}\u0000${found.quote}`;
      if (seen.has(key)) continue;
      seen.add(key);
      evidence.push(found);
    }
    if (evidence.length === 0) {
      dropped += 1;
      continue;
    }
    kept.push({
      text: insight.text,
      meetingIds: [...new Set(evidence.map((quote) => quote.meetingId))],
      evidence,
    });
  }
  return { kept, dropped };
}
