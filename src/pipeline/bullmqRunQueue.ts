import { type Job, Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { RunJob, RunQueue } from '../runs/runQueue.ts';
import { withTimeout } from '../timing.ts';

export interface BullMqRunQueueOptions {
  redisUrl: string;
  /** KV_PREFIX, so that deployments sharing one Redis have separate queues. */
  keyPrefix: string;
  logger: Logger;
  /** Runs jobs in this process too; false for a process that only enqueues. */
  work: boolean;
  concurrency: number;
  /** How long a worker's claim on a job lasts without renewal: a killed worker's job is retried after it. */
  lockDurationMs: number;
  handle: (job: RunJob, shutdown: AbortSignal) => Promise<void>;
}

const QUEUE_NAME = 'engagement-runs';
/** What BullMQ reports about a job whose lock lapsed (renewal, completion, failure). */
const LAPSED_LOCK_ERROR =
  /^(could not renew lock for job|Missing lock for job|Lock mismatch for job)/;

/**
 * Durable run jobs on Redis with BullMQ: a job survives the process that enqueued it, any
 * instance's worker may run it, and a job whose worker died (its lock expired) is moved
 * back to waiting and retried once by another worker. The job id is the run id, so a run
 * is never queued twice. BullMQ delivers a job at least once: a worker that merely paused
 * past its lock also has its job handed on. The executor's run lease makes that harmless.
 */
export class BullMqRunQueue implements RunQueue {
  private readonly queue: Queue<RunJob>;
  private readonly worker: Worker<RunJob> | undefined;
  private readonly shutdown = new AbortController();
  private readonly logger: Logger;
  /** Jobs whose lapsed lock was already reported, so that BullMQ's retries log once. */
  private readonly lapsedLocks = new Set<string>();

  constructor(options: BullMqRunQueueOptions) {
    this.logger = options.logger;
    const connection = { url: options.redisUrl, maxRetriesPerRequest: null };
    const prefix = `${options.keyPrefix}bull`;
    this.queue = new Queue<RunJob>(QUEUE_NAME, { connection, prefix });
    this.queue.on('error', (error) => options.logger.warn({ err: error }, 'run queue error'));
    if (options.work) {
      this.worker = new Worker<RunJob>(
        QUEUE_NAME,
        (job: Job<RunJob>) => options.handle(job.data, this.shutdown.signal),
        {
          connection,
          prefix,
          concurrency: options.concurrency,
          lockDuration: options.lockDurationMs,
          stalledInterval: Math.max(1000, Math.floor(options.lockDurationMs / 2)),
          maxStalledCount: 1,
        },
      );
      this.worker.on('error', (error) => {
        // Follows from a lapsed job lock, reported once per job below; the run's lease keeps
        // its execution exclusive, so these are not failures of the run.
        if (LAPSED_LOCK_ERROR.test(error.message)) {
          options.logger.debug({ err: error }, 'run worker: job lock gone');
          return;
        }
        options.logger.warn({ err: error }, 'run worker error');
      });
      this.worker.on('lockRenewalFailed', (jobIds) => {
        for (const runId of jobIds) {
          if (this.lapsedLocks.has(runId)) continue;
          if (this.lapsedLocks.size >= 1_000) this.lapsedLocks.clear();
          this.lapsedLocks.add(runId);
          options.logger.warn(
            { runId },
            'job lock lapsed (this worker paused longer than WORKER_LOCK_MS allows); ' +
              'the run may be handed to another worker, which waits for its lease',
          );
        }
      });
      this.worker.on('stalled', (runId) =>
        options.logger.warn({ runId }, 'run job stalled: its lock lapsed; queued again'),
      );
      this.worker.on('failed', (job, error) =>
        options.logger.warn({ runId: job?.data.runId, err: error }, 'run job failed'),
      );
    }
  }

  async enqueue(job: RunJob): Promise<void> {
    await this.queue.add('run', job, {
      jobId: job.runId,
      attempts: 2,
      backoff: { type: 'fixed', delay: 500 },
      removeOnComplete: true,
      removeOnFail: { count: 1000 },
    });
  }

  async close(): Promise<void> {
    // Interrupt running jobs: their runs stay open, to be retried or swept.
    this.shutdown.abort(new Error('shutting down'));
    // Interrupted jobs settle at once; a worker whose Redis went away may not, so do not
    // let it hold the shutdown: force it closed (its jobs' locks lapse and they are retried).
    const closing = Promise.all([this.worker?.close(), this.queue.close()]);
    await withTimeout(closing, 5_000, 'run queue close').catch((error: unknown) => {
      this.logger.warn({ err: error }, 'run queue did not close in time; forcing it');
      void this.worker?.close(true).catch((forceError: unknown) => {
        this.logger.warn({ err: forceError }, 'run queue worker could not be forced closed');
      });
    });
  }
}
