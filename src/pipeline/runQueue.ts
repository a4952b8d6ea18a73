/** One run for the pipeline to execute. */
export interface RunJob {
  domain: string;
  runId: string;
}

/**
 * Where `startEngagementSummary` hands a new run. The embedded queue runs jobs in this
 * process; the Redis-backed one makes them durable and shares them across instances.
 */
export interface RunQueue {
  enqueue(job: RunJob): Promise<void>;
  /** Stops taking jobs and waits (up to the timeout) for those running to end. */
  close(): Promise<void>;
}
