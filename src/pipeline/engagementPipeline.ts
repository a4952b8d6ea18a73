import type { SummaryRecord } from '../model/runRecord.ts';
import type { ProgressUpdate } from '../model/runTransitions.ts';

export interface PipelineRun {
  domain: string;
  runId: string;
  /** Aborted at the run's deadline or on shutdown; pass it to every upstream call. */
  signal: AbortSignal;
  /** Records a step forward; each call is one store write and one subscription event. */
  report(update: ProgressUpdate): Promise<void>;
}

/**
 * The work behind one run: find the company's meetings and summarise them. It reports
 * progress and returns the summary; the executor writes the terminal state. A thrown
 * PipelineError's message is shown to the user as the run's error.
 */
export interface EngagementPipeline {
  run(run: PipelineRun): Promise<SummaryRecord>;
}

/** A failure whose message is meant for the user (it names no secret). */
export class PipelineError extends Error {
  override name = 'PipelineError';
}
