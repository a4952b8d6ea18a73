import type { Logger } from 'pino';
import type { RunJob, RunQueue } from '../runs/runQueue.ts';
import { withTimeout } from '../timing.ts';

/**
 * The embedded queue: runs jobs in this process, at most `concurrency` at a time, the rest
 * waiting in order. Not durable: a run of a process that dies is ended by the deadline
 * sweeper of the next start (embedded mode has one process).
 */
export class InProcessRunQueue implements RunQueue {
  private readonly waiting: RunJob[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly shutdown = new AbortController();
  private closed = false;

  constructor(
    private readonly handle: (job: RunJob, shutdown: AbortSignal) => Promise<void>,
    private readonly concurrency: number,
    private readonly logger: Logger,
  ) {}

  async enqueue(job: RunJob): Promise<void> {
    if (this.closed) throw new Error('the run queue is closed');
    this.waiting.push(job);
    this.drain();
  }

  /**
   * Stops taking jobs and interrupts the running ones through their shutdown signal; the
   * executor leaves an interrupted run open for a retry or the deadline sweeper.
   */
  async close(timeoutMs = 5_000): Promise<void> {
    this.closed = true;
    this.waiting.length = 0;
    this.shutdown.abort(new Error('shutting down'));
    await withTimeout(Promise.allSettled([...this.running]), timeoutMs, 'run queue close').catch(
      () => {},
    );
  }

  private drain(): void {
    while (this.running.size < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift() as RunJob;
      const task = this.handle(job, this.shutdown.signal)
        .catch((error: unknown) => {
          this.logger.error({ runId: job.runId, err: error }, 'run job failed');
        })
        .finally(() => {
          this.running.delete(task);
          this.drain();
        });
      this.running.add(task);
    }
  }
}
