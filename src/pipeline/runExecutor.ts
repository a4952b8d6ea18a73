import type { Logger } from 'pino';
import type { EngagementStore } from '../kv/engagementStore.ts';
import { withChangesSince } from '../model/runChanges.ts';
import type { RunRecord } from '../model/runRecord.ts';
import { advance, complete, fail, isBehind } from '../model/runTransitions.ts';
import { updateRun } from '../model/updateRun.ts';
import type { RunJob } from '../runs/runQueue.ts';
import { sleep } from '../timing.ts';
import { NO_TRACING, type RunSpan, type Tracing } from '../tracing/tracing.ts';
import { type EngagementPipeline, PipelineError } from './engagementPipeline.ts';
import { previousCompleteRun } from './previousCompleteRun.ts';
import { type RunLease, RunLeaseLostError, type RunLeases } from './runLease.ts';

export interface RunExecutorDeps {
  store: EngagementStore;
  pipeline: EngagementPipeline;
  /** Claims on runs, so that a run handed to two executors is executed by one at a time. */
  leases: RunLeases;
  logger: Logger;
  runTimeoutMs: number;
  now?: () => Date;
  /** Told how each run ended, for metrics. */
  onRunEnded?: (outcome: 'complete' | 'error', durationSeconds: number) => void;
  /** A span per execution, the parent of its upstream calls (default: none). */
  tracing?: Tracing;
}

class RunGoneError extends Error {}

/**
 * Executes one run end to end: hands the pipeline a deadline-bound signal and a progress
 * writer, then writes COMPLETE (its summary compared with the domain's previous complete
 * run) or ERROR. Whatever the pipeline does, the run ends by its deadline (`RUN_TIMEOUT_MS`
 * after its creation), and it ends exactly once.
 *
 * A run is executed only under its lease. A job queue may hand a run to a second executor
 * while the first still works on it (BullMQ does when a worker's job lock lapses): the
 * second waits for the first's lease to be released or to lapse, and executes only if the
 * run is still open then. An executor that loses its lease stops at once (its signal
 * aborts) and writes nothing more.
 */
export class RunExecutor {
  private readonly now: () => Date;

  constructor(private readonly deps: RunExecutorDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async execute(job: RunJob, shutdown?: AbortSignal): Promise<void> {
    const log = this.deps.logger.child({ runId: job.runId, domain: job.domain });
    const lease = await this.claim(job, log, shutdown);
    if (!lease) return;
    try {
      await this.executeUnderLease(job, lease, log, shutdown);
    } finally {
      await lease.release().catch((error: unknown) => {
        log.warn({ err: describe(error) }, 'could not release the run lease; it lapses by itself');
      });
    }
  }

  /**
   * The run's lease; while another executor holds it, waits until it is released or lapses.
   * Null when the run ended meanwhile, or its deadline passed (its holder or the deadline
   * sweeper ends it). Rejects when shut down while waiting, leaving the run to a retry.
   * Whether the run is still open is read under the lease (executeUnderLease), so an
   * uncontended run costs one store read.
   */
  private async claim(job: RunJob, log: Logger, shutdown?: AbortSignal): Promise<RunLease | null> {
    const { leases, store } = this.deps;
    let waiting = false;
    for (;;) {
      const lease = await leases.tryAcquire(job.runId);
      if (lease) {
        if (waiting) log.info('the other executor let the run go; taking it over');
        return lease;
      }
      const current = await store.get(job.domain, job.runId);
      if (current?.status !== 'processing') {
        log.info({ status: current?.status ?? 'missing' }, 'run is not open; nothing to do');
        return null;
      }
      if (this.now().getTime() >= Date.parse(current.deadline_at)) return null;
      if (!waiting) log.info('run is being executed elsewhere; waiting for its lease');
      waiting = true;
      await sleep(leases.pollIntervalMs, shutdown);
    }
  }

  private async executeUnderLease(
    job: RunJob,
    lease: RunLease,
    log: Logger,
    shutdown?: AbortSignal,
  ): Promise<void> {
    // Read under the lease: a previous holder may have ended the run just before.
    const current = await this.deps.store.get(job.domain, job.runId);
    if (current?.status !== 'processing') {
      log.info({ status: current?.status ?? 'missing' }, 'run is not open; nothing to do');
      return;
    }
    // The run's span covers its execution only, so that a job delivered twice (BullMQ
    // delivers at least once) adds no span for the delivery that finds nothing to do.
    await (this.deps.tracing ?? NO_TRACING).inRunSpan(job, (span) =>
      this.executeOpenRun(job, current, lease, span, log, shutdown),
    );
  }

  private async executeOpenRun(
    job: RunJob,
    current: RunRecord,
    lease: RunLease,
    span: RunSpan,
    log: Logger,
    shutdown?: AbortSignal,
  ): Promise<void> {
    const { store, pipeline, runTimeoutMs } = this.deps;
    const startedAt = Date.parse(current.created_at);
    const remainingMs = Math.max(0, Date.parse(current.deadline_at) - this.now().getTime());
    const deadline = AbortSignal.timeout(remainingMs);
    const signal = AbortSignal.any(
      shutdown ? [deadline, shutdown, lease.signal] : [deadline, lease.signal],
    );

    const report = async (update: Parameters<typeof advance>[1]) => {
      if (signal.aborted) throw signal.reason;
      await lease.confirm();
      const outcome = await updateRun(store, job.domain, job.runId, (run) =>
        isBehind(run, update.stage) ? null : advance(run, update, this.now()),
      );
      if (!outcome.ok) throw new RunGoneError(outcome.reason);
      log.info({ stage: update.stage, meetingsFound: update.meetingsFound }, 'run progressed');
    };

    log.info('run started');
    let ending: {
      status: 'complete' | 'error';
      /** The user-facing error message (it names no secret). */
      message?: string;
      write: Parameters<typeof updateRun>[3];
    };
    try {
      const found = await raceAbort(pipeline.run({ ...job, signal, report }), signal);
      // Compared as the run ends, whatever pipeline produced it: the previous run is the
      // newest one complete by now.
      const previous = await raceAbort(previousCompleteRun(store, current), signal).catch(
        (error: unknown) => {
          if (signal.aborted) throw error;
          // The comparison only adds `changes`: the summary is complete without it.
          log.warn({ err: describe(error) }, 'previous run unreadable; completing without changes');
          return null;
        },
      );
      const summary = withChangesSince(found, previous);
      ending = { status: 'complete', write: (run) => complete(run, summary, this.now()) };
    } catch (error) {
      if (error instanceof RunGoneError) {
        log.warn({ reason: error.message }, 'run was ended or deleted elsewhere; stopping');
        span.ended('ended_elsewhere');
        return;
      }
      if (error instanceof RunLeaseLostError || (lease.signal.aborted && !deadline.aborted)) {
        log.warn('run was taken over by another executor; stopping without writing');
        span.ended('taken_over');
        return;
      }
      if (shutdown?.aborted && !deadline.aborted) {
        // Leave the run open: it is retried by another worker or ended by the sweeper.
        log.warn('run interrupted by shutdown');
        span.ended('interrupted');
        throw error;
      }
      const message = userMessage(error, deadline.aborted, runTimeoutMs);
      log.warn({ err: describe(error) }, `run failed: ${message}`);
      ending = { status: 'error', message, write: (run) => fail(run, message, this.now()) };
    }
    try {
      await lease.confirm();
    } catch (error) {
      if (!(error instanceof RunLeaseLostError)) throw error;
      log.warn('run was taken over by another executor before its result was written');
      span.ended('taken_over');
      return;
    }
    const outcome = await updateRun(store, job.domain, job.runId, ending.write);
    if (outcome.ok) {
      const seconds = (this.now().getTime() - startedAt) / 1000;
      this.deps.onRunEnded?.(ending.status, seconds);
      span.ended(ending.status, ending.message);
      log.info({ status: ending.status, durationSeconds: seconds }, 'run ended');
    } else {
      log.warn({ reason: outcome.reason }, 'run was ended elsewhere before its result was written');
      span.ended('ended_elsewhere');
    }
  }
}

function userMessage(error: unknown, timedOut: boolean, runTimeoutMs: number): string {
  if (timedOut) {
    return `The run did not finish within its deadline (RUN_TIMEOUT_MS=${runTimeoutMs} ms).`;
  }
  if (error instanceof PipelineError) return error.message;
  return 'The run failed because of an internal error.';
}

function describe(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: 'unknown', message: String(error) };
}

/** Settles with `work`, or rejects as soon as `signal` aborts, whichever comes first. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
