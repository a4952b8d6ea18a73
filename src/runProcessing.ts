import type { Logger } from 'pino';
import type { Backend } from './backends.ts';
import type { Config } from './config.ts';
import { BullMqRunQueue } from './pipeline/bullmqRunQueue.ts';
import { DeadlineSweeper } from './pipeline/deadlineSweeper.ts';
import type { EngagementPipeline } from './pipeline/engagementPipeline.ts';
import { InProcessRunQueue } from './pipeline/inProcessRunQueue.ts';
import { RunExecutor } from './pipeline/runExecutor.ts';
import { RunLeases } from './pipeline/runLease.ts';
import { TraceCarryingRunQueue } from './pipeline/traceCarryingRunQueue.ts';
import type { RunQueue } from './runs/runQueue.ts';
import type { Tracing } from './tracing/tracing.ts';

export interface RunProcessing {
  queue: RunQueue;
  sweeper: DeadlineSweeper;
  /** Stops the sweeper and the queue (running runs drain); later calls share the first. */
  close(): Promise<void>;
}

export interface RunProcessingDeps {
  config: Config;
  backend: Backend;
  pipeline: EngagementPipeline;
  logger: Logger;
  /** Whether this process executes runs (a server with RUN_WORKER=false only enqueues). */
  work: boolean;
  onRunEnded?: (outcome: 'complete' | 'error', durationSeconds: number) => void;
  /** Spans for runs, joined to the operations that started them; NO_TRACING when off. */
  tracing: Tracing;
}

/**
 * How runs get executed: in this process on the embedded backend; through BullMQ on Redis,
 * where any instance's worker may take a run. Either way one executor at a time works on a
 * run (it holds the run's lease), and a sweeper ends runs whose deadline passed without an
 * ending, so that no run stays PROCESSING when its process dies.
 */
export function startRunProcessing(deps: RunProcessingDeps): RunProcessing {
  const { config, backend, logger } = deps;
  const executor = new RunExecutor({
    store: backend.store,
    pipeline: deps.pipeline,
    // A claim lasts as long as BullMQ's job lock: a dead worker's run is free after it.
    leases: new RunLeases(backend.runLeases, config.workerLockMs),
    logger,
    runTimeoutMs: config.runTimeoutMs,
    onRunEnded: deps.onRunEnded,
    tracing: deps.tracing,
  });
  const handle = executor.execute.bind(executor);

  const jobQueue: RunQueue =
    backend.kind === 'redis' && config.redisUrl
      ? new BullMqRunQueue({
          redisUrl: config.redisUrl,
          keyPrefix: config.kvPrefix,
          logger,
          work: deps.work,
          concurrency: config.runConcurrency,
          lockDurationMs: config.workerLockMs,
          handle,
        })
      : new InProcessRunQueue(handle, config.runConcurrency, logger);
  const queue = new TraceCarryingRunQueue(jobQueue, deps.tracing);

  const sweeper = new DeadlineSweeper({
    store: backend.store,
    logger,
    runTimeoutMs: config.runTimeoutMs,
    intervalMs: config.sweepIntervalMs,
    graceMs: 2_000,
    onRunEnded: deps.onRunEnded,
  });
  sweeper.start();

  let closing: Promise<void> | undefined;
  return {
    queue,
    sweeper,
    close() {
      closing ??= (async () => {
        await sweeper.stop();
        await queue.close();
      })();
      return closing;
    },
  };
}
