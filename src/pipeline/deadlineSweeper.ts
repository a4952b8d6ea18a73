import type { Logger } from 'pino';
import type { EngagementStore } from '../kv/engagementStore.ts';
import { fail } from '../model/runTransitions.ts';
import { updateRun } from '../model/updateRun.ts';

export interface DeadlineSweeperOptions {
  store: EngagementStore;
  logger: Logger;
  runTimeoutMs: number;
  intervalMs: number;
  /** How long past its deadline a run may stay open before the sweeper ends it. */
  graceMs: number;
  now?: () => number;
  onRunEnded?: (outcome: 'error', durationSeconds: number) => void;
}

/**
 * Ends runs that outlived their deadline, whatever happened to the process that ran them
 * (killed, out of memory, lost its queue job). Every instance sweeps; the store's version
 * check makes two sweepers, or a sweeper and a late executor, end a run exactly once.
 */
export class DeadlineSweeper {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: DeadlineSweeperOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.timer ??= setInterval(() => {
      this.sweep().catch((error: unknown) =>
        this.options.logger.warn({ err: error }, 'deadline sweep failed'),
      );
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping?.catch(() => {
      // Only waiting for the pass to end: start() logs its failure, a direct sweep() caller gets it.
    });
  }

  /** One pass; returns how many runs it ended. */
  sweep(): Promise<number> {
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<number> {
    const { store, logger, runTimeoutMs, graceMs } = this.options;
    const overdue = await store.listOverdue(this.now() - graceMs, 100);
    const message =
      `The run did not finish within its deadline (RUN_TIMEOUT_MS=${runTimeoutMs} ms): ` +
      'the process running it stopped or fell behind.';
    let ended = 0;
    for (const { domain, runId } of overdue) {
      const outcome = await updateRun(store, domain, runId, (run) =>
        fail(run, message, new Date(this.now())),
      );
      if (outcome.ok) {
        ended++;
        const seconds = (this.now() - Date.parse(outcome.record.created_at)) / 1000;
        this.options.onRunEnded?.('error', seconds);
        logger.warn({ runId, domain }, 'run ended by the deadline sweeper');
      }
    }
    return ended;
  }
}
