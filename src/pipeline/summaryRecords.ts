import type { ActionItemRecord, EvidenceRecord, InsightRecord } from '../model/runRecord.ts';
import { type CompanyActionItem, companyActionItems } from './actionItems.ts';
import { MeetingQuotes, type VerifiedQuote } from './evidence/meetingQuotes.ts';
import { type EvidencedInsight, verifyInsights } from './evidence/verifiedInsights.ts';
import type { FathomMeeting } from './fathom/fathomMeeting.ts';
import type { Insights } from './summarizer/summarizer.ts';

/** The summary's goals and challenges as stored, and how many proposals were dropped. */
export interface VerifiedInsightRecords {
  goals: InsightRecord[];
  challenges: InsightRecord[];
  droppedInsights: number;
}

/**
 * Checks a summariser's proposals against the run's own meetings (the LLM's answer is a
 * proposal, not a fact) and turns what survives into the run model's insights.
 */
export function verifiedInsightRecords(
  proposed: Insights,
  meetings: readonly FathomMeeting[],
): VerifiedInsightRecords {
  const byId = new Map(meetings.map((m) => [m.recording_id, new MeetingQuotes(m)]));
  const goals = verifyInsights(proposed.goals, byId);
  const challenges = verifyInsights(proposed.challenges, byId);
  return {
    goals: goals.kept.map(insightRecord),
    challenges: challenges.kept.map(insightRecord),
    droppedInsights: goals.dropped + challenges.dropped,
  };
}

/** Fathom's action items of the company's meetings, in the contract's order, as stored. */
export function actionItemRecords(
  domain: string,
  meetings: readonly FathomMeeting[],
): ActionItemRecord[] {
  return companyActionItems(domain, meetings).map(actionItemRecord);
}

function insightRecord(insight: EvidencedInsight): InsightRecord {
  return {
    text: insight.text,
    meeting_ids: insight.meetingIds,
    evidence: insight.evidence.map(evidenceRecord),
    // Until the run is compared with the previous one as it ends (model/runChanges.ts).
    is_new: false,
  };
}

function evidenceRecord(quote: VerifiedQuote): EvidenceRecord {
  return {
    meeting_id: quote.meetingId,
    quote: quote.quote,
    speaker: quote.speaker,
    speaker_email: quote.speakerEmail,
    timestamp: quote.timestamp,
  };
}

function actionItemRecord(item: CompanyActionItem): ActionItemRecord {
  return {
    text: item.text,
    meeting_id: item.meetingId,
    assignee: item.assignee,
    assignee_email: item.assigneeEmail,
    owner: item.owner,
    completed: item.completed,
    timestamp: item.timestamp,
    url: item.url,
  };
}
