import { ConfigError, loadConfig } from './config.ts';
import { createWorker } from './createWorker.ts';

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

const worker = createWorker(config);
const { logger } = worker;
logger.info({ concurrency: config.runConcurrency }, 'engagement-summary worker started');

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'worker shutting down');
    worker.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'worker shutdown failed');
        process.exit(1);
      },
    );
  });
}
