import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/model/runRecord.ts';
import {
  type FakeFathom,
  type FathomMeeting,
  startFakeFathom,
} from '../../support/fakes/fakeFathom.ts';
import {
  type FakeOpenAI,
  type FakeOpenAIOptions,
  startFakeOpenAI,
} from '../../support/fakes/fakeOpenAI.ts';
import { buildMeetings, internalMeeting } from '../../support/fakes/fathomFixtures.ts';
import { emptySummary } from '../../support/scriptedPipeline.ts';
import { capturingLogger } from '../support/logCapture.ts';
import { runToEnd } from '../support/runHelpers.ts';
import { type BackendKind, startTestApp, type TestApp } from '../support/testApp.ts';

const FATHOM_KEY = 'fathom-test-key';
const OPENAI_KEY = 'openai-test-key';

const COMPANIES = [
  {
    domain: 'acme.com',
    people: [
      { name: 'Jane Doe', email: 'jane@acme.com' },
      { name: 'Raj Patel', email: 'raj@acme.com' },
      { name: null, email: 'ops@acme.com' },
    ],
  },
  { domain: 'globex.com', people: [{ name: 'Hank Scorpio', email: 'hank@globex.com' }] },
  { domain: 'initech.io', people: [{ name: 'Bill Lumbergh', email: 'bill@initech.io' }] },
];

interface Setup {
  server: TestApp;
  fathom: FakeFathom;
  openai: FakeOpenAI;
  logs: string[];
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  options: {
    meetings?: FathomMeeting[];
    env?: Record<string, string>;
    pageSize?: number;
    backend?: BackendKind;
    respond?: FakeOpenAIOptions['respond'];
  } = {},
): Promise<Setup> {
  const fathom = await startFakeFathom({
    meetings: options.meetings ?? [
      ...buildMeetings({ companies: COMPANIES, meetingsPerCompany: 4 }),
      internalMeeting(900001),
      internalMeeting(900002),
    ],
    pageSize: options.pageSize ?? 3,
  });
  cleanups.push(() => fathom.close());
  const openai = await startFakeOpenAI(options.respond ? { respond: options.respond } : {});
  cleanups.push(() => openai.close());
  const { logger, lines } = capturingLogger();
  const server = await startTestApp(
    options.backend ?? 'memory',
    {
      FATHOM_API_KEY: FATHOM_KEY,
      FATHOM_BASE_URL: fathom.baseUrl,
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: openai.baseUrl,
      OPENAI_MODEL: 'gpt-test',
      RUN_TIMEOUT_MS: '20000',
      ...options.env,
    },
    { logger },
  );
  cleanups.push(() => server.close());
  return { server, fathom, openai, logs: lines };
}

const last = (states: RunRecord[]) => states[states.length - 1] as RunRecord;

describe('the pipeline against Fathom and an OpenAI-compatible server', () => {
  it('counts exactly the meetings and people of the company, over several pages', async () => {
    const { server, fathom, openai } = await setup();
    const states = await runToEnd(server.app, 'acme.com');
    const final = last(states);

    expect(final.status).toBe('complete');
    // The watch joins after the start, so it sees a suffix of the run's five states.
    const expected = [
      ['queued', null],
      ['fetching_meetings', null],
      ['fetching_meetings', 4],
      ['summarizing', 4],
      ['done', 4],
    ];
    expect(final.version).toBe(5);
    expect(states.map((s) => [s.progress.stage, s.progress.meetings_found])).toEqual(
      expected.slice(5 - states.length),
    );
    expect(states.map((s) => s.version)).toEqual(
      expected.map((_, i) => i + 1).slice(5 - states.length),
    );
    const acmeMeetings = fathom.meetings.filter((m) =>
      m.calendar_invitees.some((i) => i.email_domain === 'acme.com'),
    );
    const summary = final.summary;
    expect(summary?.meetings_count).toBe(4);
    expect(summary?.meetings.map((m) => m.id).sort()).toEqual(
      acmeMeetings.map((m) => String(m.recording_id)).sort(),
    );
    expect(summary?.meetings[0]).toMatchObject({
      title: expect.stringContaining('Acme'),
      url: expect.stringMatching(/^https:\/\/fathom\.video\/calls\/\d+$/),
      started_at: expect.any(String),
    });
    // Only the company's invitees, de-duplicated by email, with their own meeting counts.
    const expectedPeople = new Map<string, number>();
    for (const meeting of acmeMeetings) {
      for (const invitee of meeting.calendar_invitees) {
        if (invitee.email_domain === 'acme.com' && invitee.email) {
          expectedPeople.set(invitee.email, (expectedPeople.get(invitee.email) ?? 0) + 1);
        }
      }
    }
    expect(
      Object.fromEntries(summary?.people.map((p) => [p.email, p.meetings_count]) ?? []),
    ).toEqual(Object.fromEntries(expectedPeople));
    expect(summary?.people.find((p) => p.email === 'jane@acme.com')?.name).toBe('Jane Doe');

    // Every insight cites meetings of this summary.
    const ids = new Set(summary?.meetings.map((m) => m.id));
    for (const insight of [...(summary?.goals ?? []), ...(summary?.challenges ?? [])]) {
      expect(insight.meeting_ids.length).toBeGreaterThan(0);
      for (const id of insight.meeting_ids) expect(ids.has(id)).toBe(true);
    }
    expect(summary?.goals.length).toBeGreaterThan(0);

    // Fathom was asked for this domain with summaries and action items, page by page, with the
    // key; then for the meetings of the company's people found there, without transcripts.
    const lists = fathom.requests.filter((r) => r.path.endsWith('/meetings'));
    const byDomain = lists.filter((r) => r.query.has('calendar_invitees_domains[]'));
    expect(byDomain.length).toBe(2); // 4 meetings, 3 per page
    for (const request of byDomain) {
      expect(request.query.getAll('calendar_invitees_domains[]')).toEqual(['acme.com']);
      expect(request.query.get('include_transcript')).toBe('true');
    }
    const byPeople = lists.filter((r) => !byDomain.includes(r));
    expect(byPeople.length).toBeGreaterThan(0);
    for (const request of byPeople) {
      expect(request.query.getAll('calendar_invitees[]')).toEqual(
        [...expectedPeople.keys()].sort(),
      );
      expect(request.query.has('calendar_invitees_domains[]')).toBe(false);
      expect(request.query.get('include_transcript')).toBe('false');
    }
    for (const request of lists) {
      expect(request.query.get('include_summary')).toBe('true');
      expect(request.query.get('include_action_items')).toBe('true');
      expect(request.apiKey).toBe(FATHOM_KEY);
    }
    // Every meeting the people listing found was listed by domain already: no transcript asked.
    expect(fathom.requests.filter((r) => r.path.endsWith('/transcript'))).toEqual([]);
    expect(openai.requests).toHaveLength(1);
    expect(openai.requests[0]?.body).toMatchObject({ model: 'gpt-test', temperature: 0.1 });
  });

  it('completes with zero meetings, empty lists and no LLM call', async () => {
    const { server, openai } = await setup();
    const final = last(await runToEnd(server.app, 'nobody-here.com'));
    expect(final).toMatchObject({
      status: 'complete',
      progress: { stage: 'done', meetings_found: 0 },
      summary: emptySummary(),
    });
    expect(openai.requests).toHaveLength(0);
  });

  it('keeps only quotes the meetings said: invented ones and other meetings dropped and counted', async () => {
    const { server, fathom } = await setup({
      respond: (request) => {
        const text = request.body.messages.map((m) => m.content).join('\n');
        const id = /Meeting (\d+):/.exec(text)?.[1] ?? '0';
        // The words after the speaker of the material's first transcript line.
        const said = /^\[[\d:]+\] [^:\n]+: (.+)$/m.exec(text)?.[1] ?? '';
        return {
          goals: [
            {
              text: 'Real goal',
              evidence: [
                { meeting_id: id, quote: said },
                { meeting_id: '424242', quote: said },
                { meeting_id: id, quote: 'We will triple revenue by Friday.' },
              ],
            },
            { text: 'Invented goal', evidence: [{ meeting_id: id, quote: 'Nobody said this.' }] },
            { text: 'Goal of another meeting', evidence: [{ meeting_id: '424242', quote: said }] },
          ],
          challenges: [{ text: 'Real challenge', evidence: [{ meeting_id: id, quote: said }] }],
        };
      },
    });
    const summary = last(await runToEnd(server.app, 'globex.com')).summary;
    expect(summary?.goals.map((g) => g.text)).toEqual(['Real goal']);
    const goal = summary?.goals[0];
    expect(goal?.meeting_ids).toHaveLength(1);
    expect(goal?.evidence).toHaveLength(1);
    const meeting = fathom.meetings.find((m) => String(m.recording_id) === goal?.meeting_ids[0]);
    const quote = goal?.evidence?.[0]?.quote as string;
    expect(quote.length).toBeGreaterThan(10);
    expect(meeting?.transcript?.some((line) => line.text.includes(quote))).toBe(true);
    expect(summary?.challenges).toHaveLength(1);
    expect(summary?.dropped_insights).toBe(2);
  });

  it('waits out a 429 with Retry-After, then succeeds', async () => {
    const { server, fathom } = await setup();
    fathom.enqueue({ kind: 'status', status: 429, retryAfterSeconds: 1 });
    const final = last(await runToEnd(server.app, 'initech.io'));
    expect(final.status).toBe('complete');
    const [refused, retried] = fathom.requests;
    expect(retried?.query.getAll('calendar_invitees_domains[]')).toEqual(['initech.io']);
    expect((retried?.at ?? 0) - (refused?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it.each(['memory', 'redis'] as const)(
    'makes no Fathom call after RateLimit-Remaining: 0 until RateLimit-Reset (%s)',
    async (backend) => {
      // Our own limit is far away: only Fathom's headers can hold the next call back.
      const { server, fathom } = await setup({ backend, env: { FATHOM_RATE_LIMIT: '1000' } });
      fathom.enqueue({
        kind: 'ok',
        headers: { 'RateLimit-Limit': '60', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '2' },
      });
      const final = last(await runToEnd(server.app, 'acme.com'));
      expect(final.status).toBe('complete');
      const [first, second] = fathom.requests;
      expect(first?.query.get('cursor')).toBeNull();
      expect(second?.query.get('cursor')).toBeTruthy();
      // A lower bound only: the answer left after the first call arrived, the pause after it.
      expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(2000);
      // Each page asked once: two by domain, then the listing by the company's people.
      const byDomain = fathom.requests.filter((r) => r.query.has('calendar_invitees_domains[]'));
      expect(byDomain).toHaveLength(2);
    },
  );

  it('retries Fathom 5xx and network errors', async () => {
    const { server, fathom } = await setup();
    fathom.enqueue(
      { kind: 'status', status: 503 },
      { kind: 'reset' },
      { kind: 'status', status: 500 },
    );
    expect(last(await runToEnd(server.app, 'initech.io')).status).toBe('complete');
  });

  it('ends the run as ERROR by its deadline when Fathom hangs', async () => {
    const { server, fathom } = await setup({ env: { RUN_TIMEOUT_MS: '1500' } });
    fathom.setDefault({ kind: 'hang' });
    const final = last(await runToEnd(server.app, 'acme.com'));
    expect(final.status).toBe('error');
    expect(final.error).toMatch(/deadline.*RUN_TIMEOUT_MS=1500/);
    // Ended by its deadline: not before it, and within the contract's bound after it.
    const openFor = Date.parse(final.updated_at) - Date.parse(final.created_at);
    expect(openFor).toBeGreaterThanOrEqual(1500);
    expect(openFor).toBeLessThanOrEqual(1500 + 30_000);
  });

  it('survives one LLM 500 and ends as ERROR when the LLM always fails', async () => {
    const once = await setup();
    once.openai.enqueue({ kind: 'status', status: 500 });
    expect(last(await runToEnd(once.server.app, 'acme.com')).status).toBe('complete');
    expect(once.openai.requests).toHaveLength(2);

    const always = await setup();
    always.openai.setDefault({ kind: 'status', status: 500 });
    const final = last(await runToEnd(always.server.app, 'acme.com'));
    expect(final.status).toBe('error');
    expect(final.error).toBe('The LLM request failed (HTTP 500) after retries.');
    expect(always.openai.requests).toHaveLength(3);
  });

  it('explains a refused key without repeating it', async () => {
    const fathomRefused = await setup({ env: { FATHOM_API_KEY: 'wrong-fathom-key-123' } });
    const a = last(await runToEnd(fathomRefused.server.app, 'acme.com'));
    expect(a.error).toBe('Fathom refused the API key (HTTP 401): check FATHOM_API_KEY.');

    const llmRefused = await setup({ env: { OPENAI_API_KEY: 'sk-wrong-openai-key-456' } });
    const b = last(await runToEnd(llmRefused.server.app, 'acme.com'));
    expect(b.error).toBe('The LLM server refused the API key (HTTP 401): check OPENAI_API_KEY.');
  });

  it('ends as ERROR naming the missing variable', async () => {
    const noFathom = await setup({ env: { FATHOM_API_KEY: '' } });
    expect(last(await runToEnd(noFathom.server.app, 'acme.com')).error).toMatch(
      /^FATHOM_API_KEY is not set/,
    );
    expect(noFathom.fathom.requests).toHaveLength(0);

    const noOpenAI = await setup({ env: { OPENAI_API_KEY: '' } });
    expect(last(await runToEnd(noOpenAI.server.app, 'acme.com')).error).toMatch(
      /^OPENAI_API_KEY is not set/,
    );
  });

  it('never writes a key into a record, an error or a log line', async () => {
    const secrets = ['wrong-fathom-key-123', 'sk-wrong-openai-key-456', FATHOM_KEY, OPENAI_KEY];
    const seen: string[] = [];
    const variants: Array<Record<string, string>> = [
      {},
      { FATHOM_API_KEY: 'wrong-fathom-key-123' },
      { OPENAI_API_KEY: 'sk-wrong-openai-key-456' },
    ];
    for (const env of variants) {
      const { server, logs } = await setup({ env, backend: 'redis' });
      const states = await runToEnd(server.app, 'acme.com');
      const raw = await server.app.services.runs.getRaw('acme.com', last(states).run_id);
      seen.push(JSON.stringify(states), String(raw), ...logs);
      expect(logs.some((line) => line.includes(last(states).run_id))).toBe(true);
    }
    for (const text of seen) for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it.each([
    ['completes', 'memory', () => {}],
    ['completes', 'redis', () => {}],
    ['fails', 'memory', (openai: FakeOpenAI) => openai.setDefault({ kind: 'status', status: 500 })],
  ] as const)(
    'puts the run id and domain on every log line of a run that %s (%s)',
    async (_outcome, backend, arrange) => {
      const { server, openai, logs } = await setup({ backend });
      arrange(openai);
      // Nothing else happens in this app while the run executes: every line logged from its
      // start until its executor's last line is a line of the run.
      const from = logs.length;
      const final = last(await runToEnd(server.app, 'acme.com'));
      await expect
        .poll(() => logs.slice(from).some((l) => JSON.parse(l).msg === 'run ended'))
        .toBe(true);
      const ofRun = logs.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>);
      // started, progressed (x3 on success), failed or nothing, ended
      expect(ofRun.length).toBeGreaterThanOrEqual(3);
      for (const line of ofRun) {
        expect(line, JSON.stringify(line)).toMatchObject({
          runId: final.run_id,
          domain: 'acme.com',
        });
      }
    },
  );
});
