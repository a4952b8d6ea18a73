import type {
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

export const Insight = builder.objectRef<InsightRecord>('Insight').implement({
  fields: (t) => ({
    text: t.exposeString('text'),
    meetingIds: t.exposeIDList('meeting_ids', {
      description: 'Ids of the meetings this insight comes from (MeetingRef.id).',
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
