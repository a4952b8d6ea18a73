import type { InsightRecord, SummaryRecord } from '../src/model/runRecord.ts';
import type { ProgressUpdate } from '../src/model/runTransitions.ts';
import {
  type EngagementPipeline,
  PipelineError,
  type PipelineRun,
} from '../src/pipeline/engagementPipeline.ts';

type Command =
  | { type: 'report'; update: ProgressUpdate; done: () => void; failed: (e: unknown) => void }
  | { type: 'finish'; summary: SummaryRecord }
  | { type: 'fail'; message: string };

/** Drives one run of the scripted pipeline from a test, step by step. */
export class ScriptedRun {
  private readonly commands: Command[] = [];
  private wake: (() => void) | null = null;
  signal: AbortSignal | undefined;

  /** Writes a progress step and resolves once it is stored. */
  report(update: ProgressUpdate): Promise<void> {
    return new Promise((done, failed) => this.send({ type: 'report', update, done, failed }));
  }

  finish(summary: SummaryRecord = emptySummary()): void {
    this.send({ type: 'finish', summary });
  }

  fail(message: string): void {
    this.send({ type: 'fail', message });
  }

  async nextCommand(): Promise<Command> {
    while (this.commands.length === 0) await new Promise<void>((r) => (this.wake = r));
    return this.commands.shift() as Command;
  }

  private send(command: Command): void {
    this.commands.push(command);
    this.wake?.();
    this.wake = null;
  }
}

/**
 * A pipeline the test steers: each run waits for the test's commands (report a stage,
 * finish, fail). `auto` runs every run through the stages by itself instead.
 */
export class ScriptedPipeline implements EngagementPipeline {
  private readonly runs = new Map<string, ScriptedRun>();
  private readonly waiters = new Map<string, (run: ScriptedRun) => void>();

  constructor(private readonly auto?: { stepDelayMs: number; summary?: SummaryRecord }) {}

  /** The controller of a run, once the pipeline has started it. */
  started(runId: string): Promise<ScriptedRun> {
    const known = this.runs.get(runId);
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => this.waiters.set(runId, resolve));
  }

  async run(run: PipelineRun): Promise<SummaryRecord> {
    if (this.auto) return this.runAutomatically(run, this.auto);
    const controller = new ScriptedRun();
    controller.signal = run.signal;
    this.runs.set(run.runId, controller);
    this.waiters.get(run.runId)?.(controller);
    this.waiters.delete(run.runId);
    for (;;) {
      const command = await controller.nextCommand();
      if (command.type === 'report') {
        await run.report(command.update).then(command.done, command.failed);
      } else if (command.type === 'finish') {
        return command.summary;
      } else {
        throw new PipelineError(command.message);
      }
    }
  }

  private async runAutomatically(
    run: PipelineRun,
    auto: { stepDelayMs: number; summary?: SummaryRecord },
  ): Promise<SummaryRecord> {
    const pause = () => new Promise((r) => setTimeout(r, auto.stepDelayMs));
    await pause();
    await run.report({ stage: 'fetching_meetings' });
    await pause();
    await run.report({ stage: 'fetching_meetings', meetingsFound: 1 });
    await pause();
    await run.report({ stage: 'summarizing' });
    await pause();
    return auto.summary ?? sampleSummary();
  }
}

export function emptySummary(): SummaryRecord {
  return {
    meetings_count: 0,
    meetings: [],
    people: [],
    goals: [],
    challenges: [],
    action_items: [],
    dropped_insights: 0,
    changes: null,
  };
}

export function sampleSummary(): SummaryRecord {
  return {
    meetings_count: 1,
    meetings: [
      {
        id: '123456',
        title: 'Acme <> Us: kickoff',
        started_at: '2025-10-01T15:01:10Z',
        url: 'https://fathom.video/calls/123456',
      },
    ],
    people: [{ name: 'Jane Doe', email: 'jane@acme.com', meetings_count: 1 }],
    goals: [insight('Cut onboarding time in half', 'We want to cut onboarding time in half.')],
    challenges: [
      insight(
        'Inventory data lives in three systems',
        'Our inventory data lives in three systems.',
      ),
    ],
    action_items: [
      {
        text: 'Send pricing',
        meeting_id: '123456',
        assignee: 'Sam Seller',
        assignee_email: 'sam@us.com',
        owner: 'us',
        completed: false,
        timestamp: '00:20:01',
        url: 'https://fathom.video/calls/123456?timestamp=1201',
      },
    ],
    dropped_insights: 0,
    changes: null,
  };
}

/** An insight of the sample meeting, with Jane's words as its evidence. */
function insight(text: string, quote: string): InsightRecord {
  return {
    text,
    meeting_ids: ['123456'],
    evidence: [
      {
        meeting_id: '123456',
        quote,
        speaker: 'Jane Doe',
        speaker_email: 'jane@acme.com',
        timestamp: '00:04:12',
      },
    ],
    is_new: false,
  };
}
