import { afterEach, describe, expect, it } from 'vitest';
import type { InsightRecord, RunRecord } from '../../src/model/runRecord.ts';
import { type FathomMeeting, startFakeFathom } from '../../support/fakes/fakeFathom.ts';
import { type ChatRequestRecord, startFakeOpenAI } from '../../support/fakes/fakeOpenAI.ts';
import { buildMeetings, internalMeeting } from '../../support/fakes/fathomFixtures.ts';
import { runToEnd } from '../support/runHelpers.ts';
import { BACKENDS, type BackendKind, startTestApp, type TestApp } from '../support/testApp.ts';

const ACME = {
  domain: 'acme.com',
  people: [
    { name: 'Jane Doe', email: 'jane@acme.com' },
    { name: 'Raj Patel', email: 'raj@acme.com' },
  ],
};
const GLOBEX = {
  domain: 'globex.com',
  people: [{ name: 'Hank Scorpio', email: 'hank@globex.com' }],
};

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const material = (request: ChatRequestRecord) =>
  request.body.messages
    .filter((m) => m.role === 'user')
    .map((m) => m.content)
    .join('\n');
/** The meetings whose material a request carried, by their `Meeting <id>:` headers. */
const meetingsIn = (request: ChatRequestRecord) =>
  [...material(request).matchAll(/^Meeting (\d+): /gm)].map((m) => m[1] as string);
const last = (states: RunRecord[]) => states[states.length - 1] as RunRecord;

async function setup(backend: BackendKind, meetings: FathomMeeting[]) {
  const fathom = await startFakeFathom({ meetings, pageSize: 4 });
  cleanups.push(() => fathom.close());
  const openai = await startFakeOpenAI();
  cleanups.push(() => openai.close());
  const env = {
    FATHOM_API_KEY: 'fathom-test-key',
    FATHOM_BASE_URL: fathom.baseUrl,
    FATHOM_RATE_LIMIT: '1000',
    OPENAI_API_KEY: 'openai-test-key',
    OPENAI_BASE_URL: openai.baseUrl,
    OPENAI_MODEL: 'gpt-test',
    // Small enough that the first run needs several requests and a merge.
    LLM_INPUT_BUDGET_TOKENS: '1200',
    RUN_TIMEOUT_MS: '30000',
  };
  const start = async (extra: Record<string, string> = {}): Promise<TestApp> => {
    const server = await startTestApp(backend, { ...env, ...extra });
    cleanups.push(() => server.close());
    return server;
  };
  return { fathom, openai, start };
}

/** A run's goals and challenges as found, without `is_new` (which depends on the run before). */
const insights = (run: RunRecord) => {
  const found = (list: InsightRecord[] | undefined) =>
    list?.map(({ is_new: _isNew, ...insight }) => insight);
  return { goals: found(run.summary?.goals), challenges: found(run.summary?.challenges) };
};

describe.each(BACKENDS)('incremental runs (%s)', (backend) => {
  it('asks the LLM nothing when no meeting changed, and only about the new meeting when one is added', async () => {
    const meetings = [
      ...buildMeetings({ companies: [ACME, GLOBEX], meetingsPerCompany: 8 }),
      internalMeeting(900001),
    ];
    const { fathom, openai, start } = await setup(backend, meetings);
    const first = await start();

    const firstRun = last(await runToEnd(first.app, 'acme.com'));
    expect(firstRun.status).toBe('complete');
    expect(firstRun.summary?.meetings_count).toBe(8);
    expect(firstRun.summary?.goals.length).toBeGreaterThan(0);
    const firstRequests = openai.requests.length;
    // Several requests of meeting material, and a merge.
    expect(openai.requests.filter((r) => meetingsIn(r).length > 0).length).toBeGreaterThan(1);
    expect(firstRequests).toBeGreaterThan(2);

    // Nothing new: no LLM request at all, the same insights with the same verified quotes. With
    // Redis, another instance of the deployment knows the findings too.
    const second = backend === 'redis' ? await start({ KV_PREFIX: first.kvPrefix }) : first;
    const rerun = last(await runToEnd(second.app, 'acme.com'));
    expect(rerun.status).toBe('complete');
    expect(openai.requests.length).toBe(firstRequests);
    expect(insights(rerun)).toEqual(insights(firstRun));
    expect(rerun.summary?.dropped_insights).toBe(firstRun.summary?.dropped_insights);

    // One new meeting: its material alone goes to the LLM, then one merge of the kept
    // findings with its own; no earlier meeting's material is sent again.
    const [added] = buildMeetings({ companies: [ACME], meetingsPerCompany: 1, startId: 300000 });
    fathom.meetings.push(added as FathomMeeting);
    const withNew = last(await runToEnd(second.app, 'acme.com'));
    expect(withNew.status).toBe('complete');
    expect(withNew.summary?.meetings_count).toBe(9);
    const asked = openai.requests.slice(firstRequests);
    expect(asked.map(meetingsIn)).toEqual([['300000'], []]);
    expect(material(asked[1] as ChatRequestRecord)).toMatch(/^goal: \{/m);
    expect(material(asked[0] as ChatRequestRecord)).toContain('Transcript:');
    expect(material(asked[1] as ChatRequestRecord)).not.toContain('Transcript:');
    // The new meeting's findings reached the summary, verified against its transcript.
    const cited = withNew.summary?.goals.flatMap((g) =>
      (g.evidence ?? []).map((e) => e.meeting_id),
    );
    expect(cited).toContain('300000');
    expect(withNew.summary?.goals.every((g) => (g.evidence ?? []).length > 0)).toBe(true);

    // And again nothing new: nothing asked.
    const settled = last(await runToEnd(first.app, 'acme.com'));
    expect(openai.requests.length).toBe(firstRequests + 2);
    expect(insights(settled)).toEqual(insights(withNew));
  });

  it('keeps what a run cut short learned: the next run asks only about the meetings it missed', async () => {
    const meetings = buildMeetings({ companies: [ACME], meetingsPerCompany: 8 });
    const { openai, start } = await setup(backend, meetings);
    const server = await start({ RUN_TIMEOUT_MS: '3000' });
    // The second request of meeting material is never answered: the run ends at its deadline,
    // after the other requests were answered.
    openai.enqueue({ kind: 'ok' }, { kind: 'hang' });
    expect(last(await runToEnd(server.app, 'acme.com')).status).toBe('error');
    const unanswered = meetingsIn(openai.requests[1] as ChatRequestRecord);
    expect(openai.requests.length).toBeGreaterThan(2);
    const before = openai.requests.length;

    const run = last(await runToEnd(server.app, 'acme.com'));
    expect(run.status).toBe('complete');
    const asked = openai.requests.slice(before).flatMap(meetingsIn);
    expect(asked.sort()).toEqual([...unanswered].sort());
    expect(run.summary?.meetings_count).toBe(8);
  });

  it('asks again about a meeting whose transcript changed, and quotes its new words', async () => {
    const meetings = buildMeetings({ companies: [ACME], meetingsPerCompany: 4 });
    const { fathom, openai, start } = await setup(backend, meetings);
    const server = await start();
    expect(last(await runToEnd(server.app, 'acme.com')).status).toBe('complete');
    const before = openai.requests.length;

    const changed = fathom.meetings[1] as FathomMeeting;
    const line = changed.transcript?.[1];
    if (!line) throw new Error('fixture meeting without a second transcript line');
    line.text = 'Our goal is to open an office in Lisbon by June.';
    const run = last(await runToEnd(server.app, 'acme.com'));
    expect(run.status).toBe('complete');
    const asked = openai.requests.slice(before);
    const extracts = asked.filter((r) => meetingsIn(r).length > 0);
    expect(extracts.map(meetingsIn)).toEqual([[String(changed.recording_id)]]);
    expect(material(extracts[0] as ChatRequestRecord)).toContain('office in Lisbon');
    const quoted = [...(run.summary?.goals ?? []), ...(run.summary?.challenges ?? [])].flatMap(
      (insight) => (insight.evidence ?? []).map((e) => e.quote),
    );
    expect(quoted).toContain('Our goal is to open an office in Lisbon by June');
  });
});

it('asks again about every meeting when the model changes (redis: shared by the instances)', async () => {
  const meetings = buildMeetings({ companies: [ACME], meetingsPerCompany: 3 });
  const { openai, start } = await setup('redis', meetings);
  const first = await start();
  await runToEnd(first.app, 'acme.com');
  const before = openai.requests.length;
  // Instances of one deployment share a configuration: the first stops, so that a worker
  // with the other model takes the run.
  await first.close();
  const other = await start({ KV_PREFIX: first.kvPrefix, OPENAI_MODEL: 'gpt-other' });
  expect(last(await runToEnd(other.app, 'acme.com')).status).toBe('complete');
  const asked = openai.requests.slice(before);
  expect(asked.flatMap(meetingsIn).sort()).toEqual(
    meetings.map((m) => String(m.recording_id)).sort(),
  );
  expect(asked.every((r) => r.body.model === 'gpt-other')).toBe(true);
});
