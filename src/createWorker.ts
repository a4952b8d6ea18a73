import type { Logger } from 'pino';
import { type Backend, createBackend } from './backends.ts';
import type { Config } from './config.ts';
import { KeySpace } from './kv/keySpace.ts';
import { createLogger } from './logger.ts';
import { createPipeline } from './pipeline/createPipeline.ts';
import type { EngagementPipeline } from './pipeline/engagementPipeline.ts';
import type { UpstreamCallObserver } from './pipeline/upstreamCall.ts';
import { type RunProcessing, startRunProcessing } from './runProcessing.ts';
import { NO_TRACING, type Tracing } from './tracing/tracing.ts';

export interface WorkerOptions {
  /** The work behind each run; tests and benchmarks pass a scripted one. */
  pipeline?: EngagementPipeline;
  logger?: Logger;
  /** Whether this process executes runs (a server with RUN_WORKER=false only enqueues). */
  work?: boolean;
  onRunEnded?: (outcome: 'complete' | 'error', durationSeconds: number) => void;
  onUpstreamCall?: UpstreamCallObserver;
  /** Spans for runs and their upstream calls (OTEL_EXPORTER_OTLP_ENDPOINT); default none. */
  tracing?: Tracing;
}

/** The part of the service that executes runs, and the backend it shares with the API. */
export interface Worker {
  readonly config: Config;
  readonly logger: Logger;
  readonly keys: KeySpace;
  readonly backend: Backend;
  readonly processing: RunProcessing;
  /** Stops taking runs and drains the running ones, then closes the backend's connections. */
  close(): Promise<void>;
}

/**
 * Builds run execution from the config: the backend (Redis or memory), the pipeline (the
 * configured one unless given), and the run processing with its queue and deadline
 * sweeper. `npm run worker`, the server's own worker part (createApp) and the benchmarks'
 * worker are all built here. `work` defaults to true; createApp passes RUN_WORKER.
 */
export function createWorker(config: Config, options: WorkerOptions = {}): Worker {
  const logger = options.logger ?? createLogger(config.logLevel);
  const keys = new KeySpace(config.kvPrefix);
  const backend = createBackend(config, keys, logger);
  const tracing = options.tracing ?? NO_TRACING;
  const { onUpstreamCall } = options;
  const pipeline =
    options.pipeline ??
    createPipeline(config, {
      fathomRateLimiter: backend.fathomRateLimiter,
      findings: backend.findings,
      onUpstreamCall: (call) => {
        onUpstreamCall?.(call);
        tracing.upstreamCallEnded(call);
      },
    });
  const processing = startRunProcessing({
    config,
    backend,
    pipeline,
    logger,
    work: options.work ?? true,
    onRunEnded: options.onRunEnded,
    tracing,
  });

  let closing: Promise<void> | undefined;
  return {
    config,
    logger,
    keys,
    backend,
    processing,
    close() {
      closing ??= processing.close().then(() => backend.close());
      return closing;
    },
  };
}
