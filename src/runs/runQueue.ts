/** One run for the pipeline to execute. */
export interface RunJob {
  domain: string;
  runId: string;
  /**
   * The trace context (W3C `traceparent`, `tracestate`) of the operation that started the
   * run, when tracing is on: the run's span continues that trace wherever the job runs.
   */
  trace?: Record<string, string>;
}

/**
 * Where `startEngagementSummary` hands a new run. The run service owns this interface and
 * pipeline/ implements it: the embedded queue runs jobs in this process; the Redis-backed
 * one (BullMQ) makes them durable and shares them across instances.
 */
export interface RunQueue {
  enqueue(job: RunJob): Promise<void>;
  /** Stops taking jobs and waits (up to the timeout) for those running to end. */
  close(): Promise<void>;
}
