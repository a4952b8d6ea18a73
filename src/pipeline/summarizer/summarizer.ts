import type { InsightRecord } from '../../kv/runRecord.ts';
import type { FathomMeeting } from '../fathom/fathomMeeting.ts';

export interface Insights {
  goals: InsightRecord[];
  challenges: InsightRecord[];
}

export interface SummaryRequest {
  /** The company, e.g. `acme.com`. */
  domain: string;
  /** The company's meetings (already filtered), newest first; never empty. */
  meetings: FathomMeeting[];
}

/** Turns a company's meetings into goals and challenges that cite those meetings. */
export interface Summarizer {
  summarize(request: SummaryRequest, signal: AbortSignal): Promise<Insights>;
}
