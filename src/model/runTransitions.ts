import {
  isTerminal,
  type RunRecord,
  type RunStage,
  type RunTriggerRecord,
  type SummaryRecord,
} from './runRecord.ts';

/**
 * The only ways a run's state changes. Each returns the next record (version + 1) and
 * refuses to move a run backwards: stages only advance, and a terminal run never changes.
 */

const STAGE_ORDER: Record<RunStage, number> = {
  queued: 0,
  fetching_meetings: 1,
  summarizing: 2,
  done: 3,
};

export class IllegalTransitionError extends Error {
  override name = 'IllegalTransitionError';
}

export function newRun(
  domain: string,
  runId: string,
  now: Date,
  timeoutMs: number,
  trigger: RunTriggerRecord = 'user',
): RunRecord {
  const at = now.toISOString();
  return {
    domain,
    run_id: runId,
    status: 'processing',
    progress: { stage: 'queued', meetings_found: null },
    summary: null,
    error: null,
    trigger,
    created_at: at,
    updated_at: at,
    deadline_at: new Date(now.getTime() + timeoutMs).toISOString(),
    version: 1,
  };
}

export interface ProgressUpdate {
  stage: Exclude<RunStage, 'done'>;
  meetingsFound?: number | null;
}

/**
 * True when `stage` is behind where the run already is: a retried run repeating a step it
 * had passed, which must not move the run backwards.
 */
export function isBehind(run: RunRecord, stage: RunStage): boolean {
  return STAGE_ORDER[stage] < STAGE_ORDER[run.progress.stage];
}

export function advance(run: RunRecord, update: ProgressUpdate, now: Date): RunRecord {
  assertOpen(run);
  if (STAGE_ORDER[update.stage] < STAGE_ORDER[run.progress.stage]) {
    throw new IllegalTransitionError(
      `run ${run.run_id} cannot go back from ${run.progress.stage} to ${update.stage}`,
    );
  }
  return next(run, now, {
    progress: {
      stage: update.stage,
      meetings_found:
        update.meetingsFound === undefined ? run.progress.meetings_found : update.meetingsFound,
    },
  });
}

export function complete(run: RunRecord, summary: SummaryRecord, now: Date): RunRecord {
  assertOpen(run);
  return next(run, now, {
    status: 'complete',
    progress: { stage: 'done', meetings_found: summary.meetings_count },
    summary,
  });
}

export function fail(run: RunRecord, message: string, now: Date): RunRecord {
  assertOpen(run);
  return next(run, now, { status: 'error', error: message });
}

function assertOpen(run: RunRecord): void {
  if (isTerminal(run)) {
    throw new IllegalTransitionError(`run ${run.run_id} is ${run.status} and never changes again`);
  }
}

function next(run: RunRecord, now: Date, changes: Partial<RunRecord>): RunRecord {
  return { ...run, ...changes, updated_at: now.toISOString(), version: run.version + 1 };
}
