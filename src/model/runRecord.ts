/**
 * The run model: a run exactly as the contract stores it in the KV store (snake_case JSON),
 * so the store writes it as it is and the polling route serves it raw. Everything that
 * reads or writes a run goes through these types. The GraphQL types (src/schema) map from
 * them; the LLM's answer has its own shape (pipeline/summarizer/llmAnswer.ts), mapped to them.
 */

export type RunStatus = 'processing' | 'complete' | 'error';
export type RunStage = 'queued' | 'fetching_meetings' | 'summarizing' | 'done';

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

export interface InsightRecord {
  text: string;
  meeting_ids: string[];
}

export interface SummaryRecord {
  meetings_count: number;
  meetings: MeetingRefRecord[];
  people: PersonRecord[];
  goals: InsightRecord[];
  challenges: InsightRecord[];
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
