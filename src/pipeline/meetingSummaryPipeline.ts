import type { SummaryRecord } from '../model/runRecord.ts';
import { sleep } from '../timing.ts';
import { type EngagementPipeline, PipelineError, type PipelineRun } from './engagementPipeline.ts';
import { runMeetingQuotes } from './evidence/meetingQuotes.ts';
import { meetingFacts } from './meetingFacts.ts';
import type { MeetingSource } from './meetingSource.ts';
import type { Summarizer } from './summarizer/summarizer.ts';
import { actionItemRecords, verifiedInsightRecords } from './summaryRecords.ts';

/** A part the pipeline needs, or why it cannot be had (a missing variable, named). */
export type Requirement<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * The real pipeline: list the company's meetings, compute the facts from the data, ask the
 * summariser for goals and challenges, and keep only those whose quotes the meetings really
 * contain. Each step is reported, so subscribers see it.
 */
export class MeetingSummaryPipeline implements EngagementPipeline {
  constructor(
    private readonly source: Requirement<MeetingSource>,
    private readonly summarizer: Requirement<Summarizer>,
    /** DEMO_STEP_DELAY_MS: a pause before each step, for demos; 0 in real use. */
    private readonly stepDelayMs = 0,
  ) {}

  async run(run: PipelineRun): Promise<SummaryRecord> {
    // Configuration problems end the run at once, before any upstream call.
    for (const requirement of [this.source, this.summarizer]) {
      if (!requirement.ok) throw new PipelineError(requirement.reason);
    }
    const source = (this.source as { value: MeetingSource }).value;
    const summarizer = (this.summarizer as { value: Summarizer }).value;

    const pace = () => (this.stepDelayMs > 0 ? sleep(this.stepDelayMs, run.signal) : undefined);
    await pace();
    await run.report({ stage: 'fetching_meetings' });
    await pace();
    const listed = await source.listMeetings(run.domain, run.signal);
    const facts = meetingFacts(run.domain, listed);
    await run.report({ stage: 'fetching_meetings', meetingsFound: facts.meetings.length });

    const summary: SummaryRecord = {
      meetings_count: facts.meetings.length,
      meetings: facts.refs,
      people: facts.people,
      goals: [],
      challenges: [],
      action_items: actionItemRecords(run.domain, facts.meetings),
      dropped_insights: 0,
      changes: null,
    };
    if (facts.meetings.length === 0) return summary;

    await pace();
    await run.report({ stage: 'summarizing', meetingsFound: facts.meetings.length });
    await pace();
    const quotes = runMeetingQuotes(facts.meetings);
    const insights = await summarizer.summarize(
      { domain: run.domain, meetings: facts.meetings, quotes },
      run.signal,
    );
    const verified = verifiedInsightRecords(insights, quotes);
    return {
      ...summary,
      goals: verified.goals,
      challenges: verified.challenges,
      dropped_insights: verified.droppedInsights,
    };
  }
}
