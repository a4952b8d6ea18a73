import type {
  ActionItemRecord,
  ChangesRecord,
  EvidenceRecord,
  InsightRecord,
  MeetingRefRecord,
  PersonRecord,
  ProgressRecord,
  RunRecord,
  SummaryRecord,
} from '../model/runRecord.ts';
import type { StartedRun } from '../resolvers/mutations.ts';
import { builder } from './builder.ts';
import { DateTime } from './dateTime.ts';

/**
 * The run as GraphQL shows it: each object type is a mapping from a run model type
 * (src/model), renaming its snake_case fields into the API's camelCase. The model's JSON is
 * what the store keeps; these mappings are the only place the API's names are decided.
 */

export const EngagementStatus = builder.enumType('EngagementStatus', {
  values: {
    PROCESSING: { value: 'processing' },
    COMPLETE: { value: 'complete' },
    ERROR: { value: 'error' },
  } as const,
});

export const EngagementStage = builder.enumType('EngagementStage', {
  values: {
    QUEUED: { value: 'queued' },
    FETCHING_MEETINGS: { value: 'fetching_meetings' },
    SUMMARIZING: { value: 'summarizing' },
    DONE: { value: 'done' },
  } as const,
});

export const RunTrigger = builder.enumType('RunTrigger', {
  description: 'Who started a run.',
  values: {
    USER: { value: 'user', description: 'A user: startEngagementSummary or the polling route.' },
    WEBHOOK: { value: 'webhook', description: 'A Fathom webhook reporting a new meeting.' },
  } as const,
});

export const MeetingRef = builder.objectRef<MeetingRefRecord>('MeetingRef').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    title: t.exposeString('title'),
    startedAt: t.field({ type: DateTime, nullable: true, resolve: (m) => m.started_at }),
    url: t.exposeString('url', { nullable: true }),
  }),
});

export const Person = builder.objectRef<PersonRecord>('Person').implement({
  fields: (t) => ({
    name: t.exposeString('name', { nullable: true }),
    email: t.exposeString('email'),
    meetingsCount: t.exposeInt('meetings_count'),
  }),
});

export const Evidence = builder.objectRef<EvidenceRecord>('Evidence').implement({
  description: "A quote behind an insight, verified against its meeting's own text.",
  fields: (t) => ({
    meetingId: t.id({
      description: "One of the insight's meetingIds.",
      resolve: (e) => e.meeting_id,
    }),
    quote: t.exposeString('quote', {
      description:
        'Verbatim from that meeting: a transcript line (or a part of one) or a sentence of its Fathom summary.',
    }),
    speaker: t.exposeString('speaker', {
      nullable: true,
      description: "The transcript line's speaker display name; null for a summary quote.",
    }),
    speakerEmail: t.string({
      nullable: true,
      description:
        'Only when Fathom matched that speaker to a calendar invitee (matched_calendar_invitee_email); never guessed.',
      resolve: (e) => e.speaker_email,
    }),
    timestamp: t.exposeString('timestamp', {
      nullable: true,
      description: '"HH:MM:SS" into the recording when the quote is a transcript line.',
    }),
  }),
});

export const Insight = builder.objectRef<InsightRecord>('Insight').implement({
  fields: (t) => ({
    text: t.exposeString('text'),
    meetingIds: t.exposeIDList('meeting_ids', {
      description: 'Ids of the meetings this insight comes from (MeetingRef.id).',
    }),
    evidence: t.field({
      type: [Evidence],
      description: "One or more; every quote verified against its meeting's own text.",
      // Runs stored before evidence existed have none.
      resolve: (i) => i.evidence ?? [],
    }),
    isNew: t.boolean({
      description: 'Every meeting it cites is new since the previous COMPLETE run.',
      resolve: (i) => i.is_new ?? false,
    }),
  }),
});

export const ActionOwner = builder.enumType('ActionOwner', {
  values: {
    US: { value: 'us' },
    THEM: { value: 'them' },
    UNKNOWN: { value: 'unknown' },
  } as const,
});

export const ActionItem = builder.objectRef<ActionItemRecord>('ActionItem').implement({
  fields: (t) => ({
    text: t.exposeString('text'),
    meetingId: t.id({ resolve: (a) => a.meeting_id }),
    assignee: t.exposeString('assignee', { nullable: true }),
    assigneeEmail: t.string({ nullable: true, resolve: (a) => a.assignee_email }),
    owner: t.field({
      type: ActionOwner,
      description:
        "THEM: assignee's email domain is the company's; US: an internal (non-external) assignee; UNKNOWN otherwise.",
      resolve: (a) => a.owner,
    }),
    completed: t.exposeBoolean('completed'),
    timestamp: t.exposeString('timestamp', {
      nullable: true,
      description: '"HH:MM:SS", when Fathom gives one.',
    }),
    url: t.exposeString('url', {
      nullable: true,
      description: "Fathom's playback link to that moment, when it gives one.",
    }),
  }),
});

export const EngagementChanges = builder.objectRef<ChangesRecord>('EngagementChanges').implement({
  fields: (t) => ({
    previousRunId: t.id({
      description: "The domain's newest COMPLETE run created before this one.",
      resolve: (c) => c.previous_run_id,
    }),
    previousCreatedAt: t.field({ type: DateTime, resolve: (c) => c.previous_created_at }),
    newMeetingIds: t.idList({
      description: 'Meetings in this summary that the previous one did not have.',
      resolve: (c) => c.new_meeting_ids,
    }),
    newPeopleEmails: t.stringList({
      description: 'People in this summary that the previous one did not have.',
      resolve: (c) => c.new_people_emails,
    }),
  }),
});

export const EngagementSummary = builder.objectRef<SummaryRecord>('EngagementSummary').implement({
  fields: (t) => ({
    meetingsCount: t.exposeInt('meetings_count', {
      description: 'Meetings in which the domain took part.',
    }),
    meetings: t.field({ type: [MeetingRef], resolve: (s) => s.meetings }),
    people: t.field({
      type: [Person],
      description: 'Invitees whose email domain is the domain.',
      resolve: (s) => s.people,
    }),
    goals: t.field({ type: [Insight], resolve: (s) => s.goals }),
    challenges: t.field({ type: [Insight], resolve: (s) => s.challenges }),
    // Runs stored before the three fields below existed read as having none.
    actionItems: t.field({
      type: [ActionItem],
      description:
        "Fathom's action items of the company's meetings: open first, then newest first.",
      resolve: (s) => s.action_items ?? [],
    }),
    droppedInsights: t.int({
      description: 'Insights the summariser proposed whose evidence could not be verified.',
      resolve: (s) => s.dropped_insights ?? 0,
    }),
    changes: t.field({
      type: EngagementChanges,
      nullable: true,
      description: 'Null when the domain has no earlier COMPLETE run still stored.',
      resolve: (s) => s.changes ?? null,
    }),
  }),
});

export const EngagementProgress = builder
  .objectRef<ProgressRecord>('EngagementProgress')
  .implement({
    fields: (t) => ({
      stage: t.field({ type: EngagementStage, resolve: (p) => p.stage }),
      meetingsFound: t.exposeInt('meetings_found', {
        nullable: true,
        description: 'Known once meetings are listed.',
      }),
    }),
  });

export const EngagementRun = builder.objectRef<RunRecord>('EngagementRun').implement({
  fields: (t) => ({
    domain: t.exposeString('domain', { description: 'Normalised, e.g. "acme.com".' }),
    runId: t.id({ description: 'UUID', resolve: (r) => r.run_id }),
    status: t.field({ type: EngagementStatus, resolve: (r) => r.status }),
    progress: t.field({ type: EngagementProgress, resolve: (r) => r.progress }),
    summary: t.field({
      type: EngagementSummary,
      nullable: true,
      description: 'Set when COMPLETE.',
      resolve: (r) => r.summary,
    }),
    error: t.exposeString('error', {
      nullable: true,
      description: 'Set when ERROR; human-readable, no secrets.',
    }),
    createdAt: t.field({ type: DateTime, resolve: (r) => r.created_at }),
    updatedAt: t.field({ type: DateTime, resolve: (r) => r.updated_at }),
    version: t.exposeInt('version', {
      description: '+1 on every write of this run; starts at 1.',
    }),
    trigger: t.field({
      type: RunTrigger,
      // Runs stored before the trigger was recorded were all started by users.
      resolve: (r) => r.trigger ?? 'user',
    }),
  }),
});

export const StartEngagementSummaryPayload = builder
  .objectRef<StartedRun>('StartEngagementSummaryPayload')
  .implement({
    fields: (t) => ({
      ok: t.exposeBoolean('ok'),
      domain: t.string({ resolve: (p) => p.run.domain }),
      runId: t.id({ resolve: (p) => p.run.run_id }),
      status: t.field({ type: EngagementStatus, resolve: (p) => p.run.status }),
      run: t.field({ type: EngagementRun, resolve: (p) => p.run }),
    }),
  });
