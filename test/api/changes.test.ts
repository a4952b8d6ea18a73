import { randomUUID } from 'node:crypto';
import { print } from 'graphql';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  DeleteEngagementDocument,
  EngagementStatusDocument,
  type EngagementStatusQuery,
  type StartEngagementSummaryMutation,
} from '../../src/generated/graphql.ts';
import type { RunRecord } from '../../src/model/runRecord.ts';
import { complete, newRun } from '../../src/model/runTransitions.ts';
import type { FathomMeeting } from '../../support/fakes/fakeFathom.ts';
import {
  type AnsweredInsight,
  type ChatRequestRecord,
  defaultInsightsAnswer,
} from '../../support/fakes/fakeOpenAI.ts';
import { graphqlRequest, START } from '../../support/graphqlClients.ts';
import { watchToEnd } from '../support/runHelpers.ts';
import {
  acmeMeetings,
  newestWithNewPerson,
  startServiceOnFakes,
} from '../support/serviceOnFakes.ts';
import { BACKENDS, type BackendKind, type TestApp } from '../support/testApp.ts';

type Run = EngagementStatusQuery['engagementStatus'][number];
type Insight = NonNullable<Run['summary']>['goals'][number];

const DOMAIN = 'acme.com';
const STATUS = print(EngagementStatusDocument);
const DELETE = print(DeleteEngagementDocument);
const REST = '/make-server-888f4514';
const ACROSS_MEETINGS = 'Goal said in every meeting';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The fake model's usual answer (an insight per meeting), plus one goal citing every meeting. */
function answerWithAGoalAcrossMeetings(request: ChatRequestRecord) {
  const answer = defaultInsightsAnswer(request);
  const across: AnsweredInsight = {
    text: ACROSS_MEETINGS,
    evidence: answer.goals.flatMap((goal) => goal.evidence),
  };
  return { ...answer, goals: [...answer.goals, across] };
}

/** Acme's meetings, oldest first, the newest held back; it brings a person never met before. */
const acmeMeetingsThenOneMore = () => newestWithNewPerson(acmeMeetings());

const service = (backend: BackendKind, meetings: FathomMeeting[]) =>
  startServiceOnFakes(backend, meetings, cleanups, answerWithAGoalAcrossMeetings);

/** Starts a run with the GraphQL mutation, as a user does, and waits for its end. */
async function startOverGraphQL(server: TestApp): Promise<string> {
  const started = await graphqlRequest<StartEngagementSummaryMutation>(server.graphqlUrl, START, {
    domain: DOMAIN,
  });
  expect(started.errors).toBeUndefined();
  const runId = started.data?.startEngagementSummary.runId as string;
  expect(started.data?.startEngagementSummary.run.trigger).toBe('USER');
  await watchToEnd(server.app, DOMAIN, runId);
  return runId;
}

/** Starts a run with the polling route's POST, as the old front end does, and waits for its end. */
async function startOverRest(server: TestApp): Promise<string> {
  const response = await fetch(`${server.url}${REST}/engagement-summary`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ domain: DOMAIN }),
  });
  expect(response.status).toBe(200);
  const { run_id } = (await response.json()) as { run_id: string };
  await watchToEnd(server.app, DOMAIN, run_id);
  return run_id;
}

async function runOverGraphQL(server: TestApp, runId: string): Promise<Run> {
  const response = await graphqlRequest<EngagementStatusQuery>(server.graphqlUrl, STATUS, {
    domain: DOMAIN,
    runId,
  });
  expect(response.errors).toBeUndefined();
  const [run] = response.data?.engagementStatus ?? [];
  expect(run).toBeDefined();
  return run as Run;
}

/** The record exactly as stored, through the polling route. */
async function storedRecord(server: TestApp, runId: string): Promise<RunRecord> {
  const response = await fetch(
    `${server.url}${REST}/engagement-status?domain=${DOMAIN}&run_id=${runId}`,
  );
  const [record] = (await response.json()) as RunRecord[];
  expect(record).toBeDefined();
  return record as RunRecord;
}

const insightsOf = (run: Run): Insight[] => [
  ...(run.summary?.goals ?? []),
  ...(run.summary?.challenges ?? []),
];

function expectNothingNew(run: Run, record: RunRecord): void {
  expect(run.status).toBe('COMPLETE');
  expect(run.summary?.changes).toBeNull();
  expect(insightsOf(run).length).toBeGreaterThan(0);
  expect(insightsOf(run).map((i) => i.isNew)).not.toContain(true);
  expect(record.summary?.changes).toBeNull();
  const stored = [...(record.summary?.goals ?? []), ...(record.summary?.challenges ?? [])];
  expect(stored.map((i) => i.is_new)).toEqual(stored.map(() => false));
}

describe.each(BACKENDS)('what changed since the previous complete run (%s)', (backend) => {
  it('reports nothing on a first run, then the new meeting, its new people and the insights only it supports', async () => {
    const { earlier, newest } = acmeMeetingsThenOneMore();
    const { server, fathom } = await service(backend, [...earlier]);

    const firstId = await startOverGraphQL(server);
    const first = await runOverGraphQL(server, firstId);
    expect(first.trigger).toBe('USER');
    expect(first.summary?.meetingsCount).toBe(3);
    expectNothingNew(first, await storedRecord(server, firstId));
    expect((await storedRecord(server, firstId)).trigger).toBe('user');

    // Fathom now has a fourth meeting, with someone from Acme nobody met before.
    fathom.meetings.push(newest);
    const newId = String(newest.recording_id);
    const secondId = await startOverRest(server);
    const second = await runOverGraphQL(server, secondId);
    expect(second.trigger).toBe('USER');
    expect(second.summary?.meetingsCount).toBe(4);
    expect(second.summary?.changes).toEqual({
      previousRunId: firstId,
      previousCreatedAt: first.createdAt,
      newMeetingIds: [newId],
      newPeopleEmails: ['lee@acme.com'],
    });
    // New: exactly the insights citing only the new meeting; the one that also cites
    // earlier meetings is not.
    for (const insight of insightsOf(second)) {
      expect(insight.isNew, insight.text).toBe(
        insight.meetingIds.length === 1 && insight.meetingIds[0] === newId,
      );
    }
    const newGoals = second.summary?.goals.filter((g) => g.isNew) ?? [];
    expect(newGoals.map((g) => g.meetingIds)).toEqual([[newId]]);
    expect(second.summary?.challenges.filter((c) => c.isNew).length).toBe(1);
    const across = second.summary?.goals.find((g) => g.text === ACROSS_MEETINGS);
    // Kept from the first run's findings: it cites earlier meetings, so it is not new.
    expect(across?.meetingIds.some((id) => id !== newId)).toBe(true);
    expect(across?.isNew).toBe(false);

    const record = await storedRecord(server, secondId);
    expect(record.trigger).toBe('user');
    expect(record.summary?.changes).toEqual({
      previous_run_id: firstId,
      previous_created_at: first.createdAt,
      new_meeting_ids: [newId],
      new_people_emails: ['lee@acme.com'],
    });
    expect(record.summary?.goals.map((g) => g.is_new)).toEqual(
      second.summary?.goals.map((g) => g.isNew),
    );
    expect(record.summary?.challenges.map((c) => c.is_new)).toEqual(
      second.summary?.challenges.map((c) => c.isNew),
    );

    // Nothing happened since: compared with the newest complete run, nothing is new.
    const thirdId = await startOverGraphQL(server);
    const third = await runOverGraphQL(server, thirdId);
    expect(third.summary?.changes).toEqual({
      previousRunId: secondId,
      previousCreatedAt: second.createdAt,
      newMeetingIds: [],
      newPeopleEmails: [],
    });
    expect(insightsOf(third).map((i) => i.isNew)).not.toContain(true);
  });

  it('never compares with a run that ended in ERROR or is still processing', async () => {
    const { earlier, newest } = acmeMeetingsThenOneMore();
    const { server, fathom } = await service(backend, [...earlier]);
    const firstId = await startOverGraphQL(server);

    fathom.setDefault({ kind: 'status', status: 401 });
    const failedId = await startOverGraphQL(server);
    expect((await runOverGraphQL(server, failedId)).status).toBe('ERROR');
    fathom.setDefault(undefined);
    // A run still open (its executor elsewhere), created after both.
    const open = newRun(DOMAIN, randomUUID(), new Date(), 60_000);
    expect(await server.app.backend.store.write(open)).toEqual({ ok: true });

    fathom.meetings.push(newest);
    const latestId = await startOverGraphQL(server);
    const latest = await runOverGraphQL(server, latestId);
    expect(latest.summary?.changes?.previousRunId).toBe(firstId);
    expect(latest.summary?.changes?.newMeetingIds).toEqual([String(newest.recording_id)]);
    expect((await storedRecord(server, latestId)).summary?.changes?.previous_run_id).toBe(firstId);
  });

  it('reports no changes when the previous complete run was deleted', async () => {
    const { earlier, newest } = acmeMeetingsThenOneMore();
    const { server, fathom } = await service(backend, [...earlier]);
    const firstId = await startOverGraphQL(server);
    const deleted = await graphqlRequest<{ deleteEngagement: boolean }>(server.graphqlUrl, DELETE, {
      domain: DOMAIN,
      runId: firstId,
    });
    expect(deleted.data?.deleteEngagement).toBe(true);

    fathom.meetings.push(newest);
    const secondId = await startOverGraphQL(server);
    const second = await runOverGraphQL(server, secondId);
    expect(second.summary?.meetingsCount).toBe(4);
    expectNothingNew(second, await storedRecord(server, secondId));
  });
});

describe('what changed, when the previous run expired (redis)', () => {
  it('reports no changes: an expired run is not stored any more', async () => {
    const { earlier, newest } = acmeMeetingsThenOneMore();
    const { server, fathom } = await service('redis', [...earlier]);
    const firstId = await startOverGraphQL(server);
    // Expiry as Redis does it: the record's key goes, its entry in the domain index stays.
    const redis = new Redis(inject('redisUrl'));
    cleanups.push(async () => redis.disconnect());
    expect(await redis.pexpire(server.app.keys.run(DOMAIN, firstId), 1)).toBe(1);
    await expect.poll(() => redis.exists(server.app.keys.run(DOMAIN, firstId))).toBe(0);
    expect(await redis.zscore(server.app.keys.domainIndex(DOMAIN), firstId)).not.toBeNull();

    fathom.meetings.push(newest);
    const secondId = await startOverGraphQL(server);
    const second = await runOverGraphQL(server, secondId);
    expect(second.summary?.meetingsCount).toBe(4);
    expectNothingNew(second, await storedRecord(server, secondId));
  });
});

describe.each(BACKENDS)('a run stored before triggers and changes existed (%s)', (backend) => {
  it('reads as started by a user, and is the previous run of the next one', async () => {
    const { earlier, newest } = acmeMeetingsThenOneMore();
    const { server } = await service(backend, [...earlier, newest]);
    // The shape stored then: no trigger on the run; no changes, is_new or later fields.
    const opened = newRun(DOMAIN, randomUUID(), new Date(Date.now() - 60_000), 120_000);
    const { trigger: _absent, ...oldRun } = opened;
    const old = complete(
      oldRun,
      {
        meetings_count: earlier.length,
        meetings: earlier.map((m) => ({
          id: String(m.recording_id),
          title: m.title,
          started_at: null,
          url: null,
        })),
        people: [
          { name: 'Jane Doe', email: 'jane@acme.com', meetings_count: 3 },
          { name: 'Raj Patel', email: 'raj@acme.com', meetings_count: 3 },
        ],
        goals: [{ text: 'Cut onboarding time in half', meeting_ids: ['1'] }],
        challenges: [],
      },
      new Date(Date.now() - 50_000),
    );
    expect(await server.app.backend.store.write(oldRun)).toEqual({ ok: true });
    expect(await server.app.backend.store.write(old)).toEqual({ ok: true });
    expect(Object.keys(await storedRecord(server, old.run_id))).not.toContain('trigger');
    const oldOverGraphQL = await runOverGraphQL(server, old.run_id);
    expect(oldOverGraphQL.trigger).toBe('USER');
    expect(oldOverGraphQL.summary?.changes).toBeNull();
    expect(oldOverGraphQL.summary?.goals.map((g) => g.isNew)).toEqual([false]);

    const nextId = await startOverGraphQL(server);
    const next = await runOverGraphQL(server, nextId);
    expect(next.summary?.changes).toEqual({
      previousRunId: old.run_id,
      previousCreatedAt: old.created_at,
      newMeetingIds: [String(newest.recording_id)],
      newPeopleEmails: ['lee@acme.com'],
    });
  });
});
