import { ConfigError, loadConfig } from './config.ts';
import { createWorker } from './createWorker.ts';
import { createLogger } from './logger.ts';

/**
 * `npm run worker`: executes runs from the Redis job queue without serving HTTP, for
 * deployments that scale workers apart from the API (run those with RUN_WORKER=false).
 */
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
  if (!config.redisUrl)
    throw new ConfigError('npm run worker needs REDIS_URL: the job queue lives in Redis.');
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

const logger = createLogger(config.logLevel);
// As in main.ts: OpenTelemetry is loaded only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
const tracing = config.tracing
  ? (
      await (
        await import('./tracing/openTelemetryTracing.ts')
      ).startOpenTelemetry(config.tracing, logger)
    ).tracing
  : undefined;
const worker = createWorker(config, { logger, tracing });
logger.info({ concurrency: config.runConcurrency }, 'engagement-summary worker started');

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'worker shutting down');
    worker
      .close()
      .then(() => tracing?.shutdown())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'worker shutdown failed');
          process.exit(1);
        },
      );
  });
}
