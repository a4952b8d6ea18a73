/**
 * Child entry: the engagement-summary service exactly as `npm start` builds it, configured
 * from the environment the harness gives it. With BENCH_RUN_MS set, runs are executed by the
 * scripted pipeline (support/scriptedPipeline.ts), which walks each run through its stages in
 * that time.
 */
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { ScriptedPipeline } from '../../support/scriptedPipeline.ts';
import { serveCalls } from './processes.ts';

const runMs = Number(process.env.BENCH_RUN_MS ?? '0');
// The scripted pipeline pauses four times per run (three progress writes, then the result).
const pipeline = runMs > 0 ? new ScriptedPipeline({ stepDelayMs: runMs / 4 }) : undefined;

const app = createApp(loadConfig(process.env), pipeline ? { pipeline } : {});
const url = await app.listen();

let stopping: Promise<void> | undefined;
const stop = () => {
  stopping ??= app.close().finally(() => setImmediate(() => process.exit(0)));
  return stopping;
};
process.once('SIGTERM', () => void stop());

serveCalls(
  {
    /** Heap and RSS as Node sees them, after a full GC when run with --expose-gc. */
    memory: () => {
      globalThis.gc?.();
      globalThis.gc?.();
      return process.memoryUsage();
    },
    openWatches: () => app.services.runs.openWatches,
  },
  { url },
);
