import type { RunJob, RunQueue } from '../runs/runQueue.ts';
import type { Tracing } from '../tracing/tracing.ts';

/**
 * A run queue whose jobs carry the trace context they were enqueued in (the GraphQL
 * operation or REST call that started the run), so that the run's span, wherever a worker
 * takes the job, belongs to the same trace. The same for the embedded and the BullMQ queue.
 */
export class TraceCarryingRunQueue implements RunQueue {
  constructor(
    private readonly queue: RunQueue,
    private readonly tracing: Tracing,
  ) {}

  enqueue(job: RunJob): Promise<void> {
    const trace = this.tracing.currentContext();
    return this.queue.enqueue(trace ? { ...job, trace } : job);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
