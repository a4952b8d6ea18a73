import type { ChangesRecord, InsightRecord, RunRecord, SummaryRecord } from './runRecord.ts';

/**
 * What a run's summary has that the domain's previous complete run did not: the meetings
 * and people new since then, and which insights only new meetings support. Pure, so the
 * comparison reads the same whichever store or pipeline produced the two runs.
 */

/**
 * True when `candidate` can be `run`'s previous run: COMPLETE and created before it. Runs
 * still processing or ended in ERROR summarise nothing a user saw, so they never count.
 */
export function isPreviousCompleteRun(candidate: RunRecord, run: RunRecord): boolean {
  return (
    candidate.status === 'complete' &&
    candidate.run_id !== run.run_id &&
    Date.parse(candidate.created_at) < Date.parse(run.created_at)
  );
}

/**
 * `summary` with its `changes` against `previous` (the domain's newest complete run created
 * before this one, or null when none is stored) and every insight's `is_new`: true when
 * each meeting it cites is new since `previous`; false throughout when there is no previous.
 */
export function withChangesSince(
  summary: SummaryRecord,
  previous: RunRecord | null,
): SummaryRecord {
  const changes = previous ? changesSince(summary, previous) : null;
  const newMeetings = new Set(changes?.new_meeting_ids);
  const marked = (insight: InsightRecord): InsightRecord => ({
    ...insight,
    is_new:
      insight.meeting_ids.length > 0 && insight.meeting_ids.every((id) => newMeetings.has(id)),
  });
  return {
    ...summary,
    goals: summary.goals.map(marked),
    challenges: summary.challenges.map(marked),
    changes,
  };
}

function changesSince(summary: SummaryRecord, previous: RunRecord): ChangesRecord {
  const knownMeetings = new Set(previous.summary?.meetings.map((m) => m.id));
  const knownPeople = new Set(previous.summary?.people.map((p) => p.email.toLowerCase()));
  return {
    previous_run_id: previous.run_id,
    previous_created_at: previous.created_at,
    new_meeting_ids: summary.meetings.map((m) => m.id).filter((id) => !knownMeetings.has(id)),
    new_people_emails: summary.people
      .map((p) => p.email)
      .filter((email) => !knownPeople.has(email.toLowerCase())),
  };
}
