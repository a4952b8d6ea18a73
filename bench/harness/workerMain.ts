/**
 * Child entry: a run worker like `npm run worker` (src/worker.ts), executing queued runs
 * with the scripted pipeline, which walks each run through its stages in BENCH_RUN_MS.
 * Running the pipeline here keeps its CPU out of the service process being measured.
 */
import { createBackend } from '../../src/backends.ts';
import { loadConfig } from '../../src/config.ts';
import { KeySpace } from '../../src/kv/keySpace.ts';
import { createLogger } from '../../src/logger.ts';
import { startRunProcessing } from '../../src/runProcessing.ts';
import { ScriptedPipeline } from '../../test/support/scriptedPipeline.ts';
import { serveCalls } from './processes.ts';

const config = loadConfig(process.env);
const runMs = Number(process.env.BENCH_RUN_MS ?? '30000');
const logger = createLogger(config.logLevel);
const backend = createBackend(config, new KeySpace(config.kvPrefix), logger);
const processing = startRunProcessing({
  config,
  backend,
  // The scripted pipeline pauses four times per run (three progress writes, then the result).
  pipeline: new ScriptedPipeline({ stepDelayMs: runMs / 4 }),
  logger,
  work: true,
});

process.once('SIGTERM', () => {
  processing
    .close()
    .then(() => backend.close())
    .finally(() => process.exit(0));
});

serveCalls({});
