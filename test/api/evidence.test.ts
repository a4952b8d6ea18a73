import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { print } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EngagementStatusDocument,
  type EngagementStatusQuery,
} from '../../src/generated/graphql.ts';
import type { RunRecord, SummaryRecord } from '../../src/model/runRecord.ts';
import { complete, newRun } from '../../src/model/runTransitions.ts';
import type { FathomMeeting } from '../../support/fakes/fakeFathom.ts';
import type { FakeOpenAIOptions } from '../../support/fakes/fakeOpenAI.ts';
import { DEFAULT_OUR_DOMAIN } from '../../support/fakes/fathomFixtures.ts';
import { graphqlRequest } from '../../support/graphqlClients.ts';
import { runToEnd } from '../support/runHelpers.ts';
import { acmeMeetings, startServiceOnFakes } from '../support/serviceOnFakes.ts';
import { BACKENDS, startTestApp, type TestApp } from '../support/testApp.ts';

type Summary = NonNullable<EngagementStatusQuery['engagementStatus'][number]['summary']>;
type Evidence = Summary['goals'][number]['evidence'][number];

const DOMAIN = 'acme.com';
const STATUS = print(EngagementStatusDocument);

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The meeting material a test needs, as Fathom gives it (a transcript line's speaker may be unmatched). */
interface MeetingText {
  recording_id: number | string;
  transcript?: Array<{
    text: string;
    timestamp?: string | null;
    speaker?: { display_name?: string | null; matched_calendar_invitee_email?: string | null };
  }> | null;
  default_summary?: { markdown_formatted?: string | null } | null;
}

/**
 * What a user checks on a quote: it is in its meeting, word for word, and attributed to the
 * transcript line that says it (speaker, Fathom's match, time), or to the summary alone.
 */
function expectSaidIn(meeting: MeetingText | undefined, evidence: Evidence): void {
  expect(meeting, `meeting ${evidence.meetingId}`).toBeDefined();
  const lines = meeting?.transcript ?? [];
  const saying = lines.filter((line) => line.text.includes(evidence.quote));
  if (evidence.speaker === null) {
    expect(evidence).toMatchObject({ speakerEmail: null, timestamp: null });
    expect(saying).toEqual([]);
    expect(meeting?.default_summary?.markdown_formatted).toContain(evidence.quote);
    return;
  }
  const line = saying.find((candidate) => candidate.timestamp === evidence.timestamp);
  expect(line, `"${evidence.quote}" at ${evidence.timestamp}`).toBeDefined();
  expect(evidence.speaker).toBe(line?.speaker?.display_name);
  expect(evidence.speakerEmail).toBe(line?.speaker?.matched_calendar_invitee_email ?? null);
}

/** Every insight has evidence, each quote said in its meeting, and cites exactly those meetings. */
function expectEveryInsightQuoted(summary: Summary, meetings: readonly MeetingText[]): void {
  const byId = new Map(meetings.map((m) => [String(m.recording_id), m]));
  for (const insight of [...summary.goals, ...summary.challenges]) {
    expect(insight.evidence.length, insight.text).toBeGreaterThan(0);
    expect(insight.isNew).toBe(false);
    expect(new Set(insight.meetingIds)).toEqual(new Set(insight.evidence.map((e) => e.meetingId)));
    for (const evidence of insight.evidence) {
      expect(evidence.quote.length).toBeGreaterThan(0);
      expectSaidIn(byId.get(evidence.meetingId), evidence);
    }
  }
}

async function summaryOverGraphQL(server: TestApp, runId: string): Promise<Summary> {
  const response = await graphqlRequest<EngagementStatusQuery>(server.graphqlUrl, STATUS, {
    domain: DOMAIN,
    runId,
  });
  expect(response.errors).toBeUndefined();
  const [run] = response.data?.engagementStatus ?? [];
  expect(run?.status).toBe('COMPLETE');
  return run?.summary as Summary;
}

async function openAiService(meetings: FathomMeeting[], respond?: FakeOpenAIOptions['respond']) {
  const { server } = await startServiceOnFakes('memory', meetings, cleanups, respond);
  const states = await runToEnd(server.app, DOMAIN);
  return { server, runId: states.at(-1)?.run_id as string };
}

describe('evidence and action items, through the OpenAI summariser', () => {
  it('shows every insight with quotes said in its meetings, attributed to who said them', async () => {
    const meetings = acmeMeetings();
    const [oldest, second] = meetings as [FathomMeeting, FathomMeeting];
    // A speaker Fathom did not match to an invitee has no email, never a guessed one.
    const unmatched = oldest.transcript?.[0] as NonNullable<FathomMeeting['transcript']>[number];
    unmatched.speaker = { display_name: 'Dial-in user', matched_calendar_invitee_email: null };
    // A meeting without a transcript can only be quoted from its summary.
    second.transcript = null;

    const { server, runId } = await openAiService(meetings);
    const summary = await summaryOverGraphQL(server, runId);

    expect(summary.goals.length).toBe(4);
    expect(summary.challenges.length).toBe(4);
    expect(summary.droppedInsights).toBe(0);
    expect(summary.changes).toBeNull();
    expectEveryInsightQuoted(summary, meetings);
    const evidence = [...summary.goals, ...summary.challenges].flatMap((i) => i.evidence);
    expect(evidence.find((e) => e.speaker === 'Dial-in user')).toMatchObject({
      meetingId: String(oldest.recording_id),
      speakerEmail: null,
      timestamp: unmatched.timestamp,
    });
    expect(evidence.filter((e) => e.meetingId === String(second.recording_id))).toEqual(
      expect.arrayContaining([expect.objectContaining({ speaker: null, timestamp: null })]),
    );
    expect(
      evidence.some(
        (e) =>
          e.speakerEmail === 'jane@acme.com' || e.speakerEmail?.endsWith(`@${DEFAULT_OUR_DOMAIN}`),
      ),
    ).toBe(true);
  });

  it('drops and counts insights whose quotes were invented or name a meeting outside the run', async () => {
    const meetings = acmeMeetings();
    const { server, runId } = await openAiService(meetings, (request) => {
      const material = request.body.messages.map((m) => m.content).join('\n');
      const id = /^Meeting (\d+):/m.exec(material)?.[1] as string;
      const line = /^\[[\d:]+\] [^:\n]+: (.+)$/m.exec(material);
      const said = line?.[1] as string;
      return {
        goals: [
          {
            text: 'A goal the meeting supports',
            evidence: [
              { meeting_id: id, quote: said },
              { meeting_id: id, quote: 'We will triple revenue by Friday.' },
              { meeting_id: '999999', quote: said },
            ],
          },
          { text: 'An invented goal', evidence: [{ meeting_id: id, quote: 'Nobody said this.' }] },
          // Models copy the time and the speaker's name with the words: they are not the quote.
          { text: 'A goal quoted with its line', evidence: [{ meeting_id: id, quote: line?.[0] }] },
        ],
        challenges: [
          { text: 'Another company', evidence: [{ meeting_id: '999999', quote: said }] },
          { text: 'No evidence at all', evidence: [] },
        ],
      };
    });
    const summary = await summaryOverGraphQL(server, runId);

    expect(summary.goals.map((g) => g.text)).toEqual([
      'A goal the meeting supports',
      'A goal quoted with its line',
    ]);
    expect(summary.goals[0]?.evidence).toHaveLength(1);
    expect(summary.goals[1]?.evidence).toEqual(summary.goals[0]?.evidence);
    expect(summary.goals[0]?.meetingIds).toEqual([summary.goals[0]?.evidence[0]?.meetingId]);
    expect(summary.challenges).toEqual([]);
    expect(summary.droppedInsights).toBe(3);
    expectEveryInsightQuoted(summary, meetings);
  });

  it("lists the company's action items with their owner, open first, then newest first", async () => {
    const meetings = acmeMeetings();
    for (const meeting of meetings) meeting.action_items = [];
    const newest = meetings[3] as FathomMeeting;
    const older = meetings[1] as FathomMeeting;
    const host = newest.recorded_by;
    const item = (description: string, at: string, assignee: unknown, completed = false) => ({
      description,
      user_generated: false,
      completed,
      recording_timestamp: at,
      recording_playback_url: `https://fathom.video/share/x?timestamp=${at}`,
      assignee,
    });
    newest.action_items = [
      item('Send the pricing sheet', '00:10:00', { name: host.name, email: host.email }),
      item('Share the data export', '00:20:00', { name: 'Jane Doe', email: 'jane@acme.com' }),
      item('Loop in outside counsel', '00:05:00', { name: 'Pat', email: 'pat@lawfirm.com' }, true),
    ];
    older.action_items = [item('Book the workshop', '00:30:00', null)];

    const { server, runId } = await openAiService(meetings);
    const summary = await summaryOverGraphQL(server, runId);

    expect(summary.actionItems.map((a) => [a.text, a.owner, a.completed])).toEqual([
      ['Share the data export', 'THEM', false],
      ['Send the pricing sheet', 'US', false],
      ['Book the workshop', 'UNKNOWN', false],
      ['Loop in outside counsel', 'UNKNOWN', true],
    ]);
    expect(summary.actionItems[0]).toEqual({
      text: 'Share the data export',
      meetingId: String(newest.recording_id),
      assignee: 'Jane Doe',
      assigneeEmail: 'jane@acme.com',
      owner: 'THEM',
      completed: false,
      timestamp: '00:20:00',
      url: 'https://fathom.video/share/x?timestamp=00:20:00',
    });
    expect(summary.actionItems[2]).toMatchObject({ assignee: null, assigneeEmail: null });
  });
});

describe('the offline summariser on the bundled demo meetings', () => {
  it('quotes every insight from its meetings and lists action items', async () => {
    const demo = JSON.parse(
      readFileSync(new URL('../../demo/meetings.json', import.meta.url), 'utf8'),
    ).items as MeetingText[];
    const server = await startTestApp('memory', {
      MEETINGS_FILE: 'demo/meetings.json',
      SUMMARIZER: 'extractive',
    });
    cleanups.push(() => server.close());
    for (const domain of ['lumen-retail.com', 'northwind-logistics.com']) {
      const runId = (await runToEnd(server.app, domain)).at(-1)?.run_id as string;
      const response = await graphqlRequest<EngagementStatusQuery>(server.graphqlUrl, STATUS, {
        domain,
        runId,
      });
      const summary = response.data?.engagementStatus[0]?.summary as Summary;
      expect(summary.goals.length).toBeGreaterThanOrEqual(3);
      expect(summary.challenges.length).toBeGreaterThanOrEqual(3);
      expect(summary.droppedInsights).toBe(0);
      expectEveryInsightQuoted(summary, demo);
      expect(summary.actionItems.length).toBeGreaterThan(0);
      const meetingIds = new Set(summary.meetings.map((m) => m.id));
      expect(summary.actionItems.every((a) => meetingIds.has(a.meetingId))).toBe(true);
    }
  });
});

describe.each(BACKENDS)('a run stored before evidence existed (%s)', (backend) => {
  it('reads with the defaults over GraphQL, and as stored over the polling route', async () => {
    const server = await startTestApp(backend);
    cleanups.push(() => server.close());
    const oldSummary: SummaryRecord = {
      meetings_count: 1,
      meetings: [{ id: '7', title: 'Kick-off', started_at: null, url: null }],
      people: [],
      goals: [{ text: 'Cut onboarding time in half', meeting_ids: ['7'] }],
      challenges: [],
    };
    const run = newRun(DOMAIN, randomUUID(), new Date(), 60_000);
    const stored: RunRecord = complete(run, oldSummary, new Date());
    expect(await server.app.backend.store.write(run)).toEqual({ ok: true });
    expect(await server.app.backend.store.write(stored)).toEqual({ ok: true });

    const summary = await summaryOverGraphQL(server, run.run_id);
    expect(summary.goals).toEqual([
      { text: 'Cut onboarding time in half', meetingIds: ['7'], evidence: [], isNew: false },
    ]);
    expect(summary).toMatchObject({ actionItems: [], droppedInsights: 0, changes: null });

    const polled = await fetch(
      `${server.url}/make-server-888f4514/engagement-status?domain=${DOMAIN}&run_id=${run.run_id}`,
    ).then((r) => r.json());
    expect(polled).toEqual([stored]);
    expect(Object.keys(polled[0].summary)).not.toContain('action_items');
  });
});
