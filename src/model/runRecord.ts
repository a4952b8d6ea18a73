/**
 * The run model: a run exactly as the contract stores it in the KV store (snake_case JSON),
 * so the store writes it as it is and the polling route serves it raw. Everything that
 * reads or writes a run goes through these types. The GraphQL types (src/schema) map from
 * them; the LLM's answer has its own shape (pipeline/summarizer/llmAnswer.ts), mapped to them.
 */

export type RunStatus = 'processing' | 'complete' | 'error';
export type RunStage = 'queued' | 'fetching_meetings' | 'summarizing' | 'done';
/** Who started a run: a user (GraphQL or the polling route), or a Fathom webhook. */
export type RunTriggerRecord = 'user' | 'webhook';

export interface MeetingRefRecord {
  id: string;
  title: string;
  started_at: string | null;
  url: string | null;
}

export interface PersonRecord {
  name: string | null;
  email: string;
  meetings_count: number;
}

/** A verified quote behind an insight: where in which meeting it was said, and by whom. */
export interface EvidenceRecord {
  meeting_id: string;
  quote: string;
  /** The transcript line's speaker; null for a quote of the Fathom summary. */
  speaker: string | null;
  /** Exactly Fathom's `matched_calendar_invitee_email` of that line, or null. */
  speaker_email: string | null;
  /** "HH:MM:SS" of the transcript line; null for a summary quote. */
  timestamp: string | null;
}

/**
 * The fields marked optional below are absent from records stored before they existed;
 * every run written now has them. Readers supply the contract's defaults.
 */
export interface InsightRecord {
  text: string;
  /** The meetings of its evidence. */
  meeting_ids: string[];
  evidence?: EvidenceRecord[];
  /** Every meeting it cites is new since the previous complete run. */
  is_new?: boolean;
}

export type ActionOwnerRecord = 'us' | 'them' | 'unknown';

/** One of Fathom's action items; every key present, null when unknown. */
export interface ActionItemRecord {
  text: string;
  meeting_id: string;
  assignee: string | null;
  assignee_email: string | null;
  owner: ActionOwnerRecord;
  completed: boolean;
  timestamp: string | null;
  url: string | null;
}

/** What a run's summary has that the domain's previous complete run did not. */
export interface ChangesRecord {
  previous_run_id: string;
  previous_created_at: string;
  new_meeting_ids: string[];
  new_people_emails: string[];
}

export interface SummaryRecord {
  meetings_count: number;
  meetings: MeetingRefRecord[];
  people: PersonRecord[];
  goals: InsightRecord[];
  challenges: InsightRecord[];
  /** Open first, then newest first. */
  action_items?: ActionItemRecord[];
  /** Insights the summariser proposed whose evidence could not be verified. */
  dropped_insights?: number;
  /** Null when the domain has no earlier complete run still stored. */
  changes?: ChangesRecord | null;
}

export interface ProgressRecord {
  stage: RunStage;
  meetings_found: number | null;
}

export interface RunRecord {
  domain: string;
  run_id: string;
  status: RunStatus;
  progress: ProgressRecord;
  summary: SummaryRecord | null;
  error: string | null;
  /** Absent from records stored before it existed; those were all started by users. */
  trigger?: RunTriggerRecord;
  created_at: string;
  updated_at: string;
  /** When the run must have ended (created_at + RUN_TIMEOUT_MS); past it, it ends as ERROR. */
  deadline_at: string;
  version: number;
}

/** A run named by its key parts. */
export interface RunRef {
  domain: string;
  runId: string;
}

/** A run's deletion, announced on its channel so that watchers can end. */
export interface RunDeletedNotice {
  deleted: true;
  domain: string;
  run_id: string;
}

export type RunChannelMessage = RunRecord | RunDeletedNotice;

export function isTerminal(record: Pick<RunRecord, 'status'>): boolean {
  return record.status !== 'processing';
}

export function isDeletedNotice(message: RunChannelMessage): message is RunDeletedNotice {
  return (message as RunDeletedNotice).deleted === true;
}
