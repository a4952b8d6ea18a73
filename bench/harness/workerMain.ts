/**
 * Child entry: a run worker like `npm run worker` (src/worker.ts), executing queued runs
 * with the scripted pipeline, which walks each run through its stages in BENCH_RUN_MS.
 * Running the pipeline here keeps its CPU out of the service process being measured.
 */
import { loadConfig } from '../../src/config.ts';
import { createWorker } from '../../src/createWorker.ts';
import { ScriptedPipeline } from '../../support/scriptedPipeline.ts';
import { serveCalls } from './processes.ts';

const config = loadConfig(process.env);
const runMs = Number(process.env.BENCH_RUN_MS ?? '30000');
const worker = createWorker(config, {
  // The scripted pipeline pauses four times per run (three progress writes, then the result).
  pipeline: new ScriptedPipeline({ stepDelayMs: runMs / 4 }),
});

process.once('SIGTERM', () => {
  worker.close().finally(() => process.exit(0));
});

serveCalls({});
