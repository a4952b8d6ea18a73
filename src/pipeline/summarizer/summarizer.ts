import type { RunMeetingQuotes } from '../evidence/meetingQuotes.ts';
import type { ProposedInsight } from '../evidence/verifiedInsights.ts';
import type { FathomMeeting } from '../fathom/fathomMeeting.ts';

/**
 * Goals and challenges as a summariser proposes them, each with the quotes it says support
 * it; the pipeline checks every quote against the meetings before anything is stored.
 */
export interface Insights {
  goals: ProposedInsight[];
  challenges: ProposedInsight[];
}

export interface SummaryRequest {
  /** The company, e.g. `acme.com`. */
  domain: string;
  /** The company's meetings (already filtered), newest first; never empty. */
  meetings: FathomMeeting[];
  /** The same meetings by id, normalised once per run for quote matching. */
  quotes: RunMeetingQuotes;
}

/** Turns a company's meetings into goals and challenges that quote those meetings. */
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
