import type { InsightRecord } from '../../model/runRecord.ts';
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

/**
 * A summariser built on first use: the OpenAI one pulls in the SDK and the tokenizer's
 * ranks (~25 MB together), which a server whose runs never reach the LLM does not need.
 */
export class LazySummarizer implements Summarizer {
  private loading: Promise<Summarizer> | undefined;

  constructor(private readonly load: () => Promise<Summarizer>) {}

  summarize(request: SummaryRequest, signal: AbortSignal): Promise<Insights> {
    this.loading ??= this.load().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading.then((summarizer) => summarizer.summarize(request, signal));
  }
}
