import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type FakeFathom,
  type FathomMeeting,
  startFakeFathom,
} from '../../support/fakes/fakeFathom.ts';
import {
  type FakeOpenAI,
  type InsightsAnswer,
  startFakeOpenAI,
} from '../../support/fakes/fakeOpenAI.ts';
import { buildMeetings, internalMeeting } from '../../support/fakes/fathomFixtures.ts';

const KEY = { 'X-Api-Key': 'fathom-test-key' };

const companies = [
  {
    domain: 'acme.com',
    people: [
      { name: 'Jane Doe', email: 'jane@acme.com' },
      { name: 'Raj Patel', email: 'raj@acme.com' },
      { name: null, email: 'ops@acme.com' },
    ],
  },
  { domain: 'globex.com', people: [{ name: 'Hank Scorpio', email: 'hank@globex.com' }] },
];

interface MeetingsPage {
  limit: number;
  next_cursor: string | null;
  items: Array<Partial<FathomMeeting> & { recording_id: number; created_at: string }>;
}

async function getJson<T>(
  url: string,
  headers: Record<string, string> = KEY,
): Promise<{ response: Response; body: T }> {
  const response = await fetch(url, { headers });
  return { response, body: (await response.json()) as T };
}

describe('fake Fathom', () => {
  let fathom: FakeFathom | undefined;
  afterEach(async () => {
    await fathom?.close();
    fathom = undefined;
  });

  it('builds the same fixtures every time', () => {
    const options = { companies, meetingsPerCompany: 4 };
    expect(buildMeetings(options)).toEqual(buildMeetings(options));
    const meetings = buildMeetings(options);
    expect(meetings.map((m) => m.recording_id)).toEqual([
      100000, 100001, 100002, 100003, 100004, 100005, 100006, 100007,
    ]);
    expect(meetings.some((m) => m.calendar_invitees.some((i) => i.name === null))).toBe(true);
    expect(meetings[0]?.transcript?.map((line) => line.text).join(' ')).toMatch(/Our goal is to/);
    expect(meetings[0]?.default_summary?.markdown_formatted).toContain('## Challenges');
  });

  it('paginates newest first with next_cursor until null', async () => {
    fathom = await startFakeFathom({
      meetings: buildMeetings({ companies, meetingsPerCompany: 12 }),
    });
    const seen: MeetingsPage['items'] = [];
    let url: string | undefined = `${fathom.baseUrl}/meetings`;
    let pages = 0;
    while (url) {
      const page: { response: Response; body: MeetingsPage } = await getJson(url);
      expect(page.response.status).toBe(200);
      const body = page.body;
      expect(body.limit).toBe(10);
      seen.push(...body.items);
      pages++;
      url = body.next_cursor
        ? `${fathom.baseUrl}/meetings?cursor=${encodeURIComponent(body.next_cursor)}`
        : undefined;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(24);
    const created = seen.map((m) => Date.parse(m.created_at));
    expect(created).toEqual([...created].sort((a, b) => b - a));
    expect(new Set(seen.map((m) => m.recording_id)).size).toBe(24);

    const garbled = await fetch(`${fathom.baseUrl}/meetings?cursor=not-a-cursor`, { headers: KEY });
    expect(garbled.status).toBe(400);
  });

  it('filters by invitee domain, case-insensitively, and leaves internal meetings out', async () => {
    const meetings = [...buildMeetings({ companies, meetingsPerCompany: 3 }), internalMeeting(900)];
    fathom = await startFakeFathom({ meetings });
    const acme = await getJson<MeetingsPage>(
      `${fathom.baseUrl}/meetings?calendar_invitees_domains[]=ACME.com`,
    );
    expect(acme.body.items).toHaveLength(3);
    for (const meeting of acme.body.items) {
      expect(meeting.calendar_invitees?.some((i) => i.email_domain === 'acme.com')).toBe(true);
    }
    const both = await getJson<MeetingsPage>(
      `${fathom.baseUrl}/meetings?calendar_invitees_domains[]=acme.com&calendar_invitees_domains[]=globex.com`,
    );
    expect(both.body.items).toHaveLength(6);
    const all = await getJson<MeetingsPage>(`${fathom.baseUrl}/meetings`);
    expect(all.body.items).toHaveLength(7);
  });

  it('adds transcript, summary and action items only when asked', async () => {
    fathom = await startFakeFathom({
      meetings: buildMeetings({ companies, meetingsPerCompany: 1 }),
    });
    const bare = await getJson<MeetingsPage>(`${fathom.baseUrl}/meetings`);
    const item = bare.body.items[0] ?? {};
    expect('transcript' in item || 'default_summary' in item || 'action_items' in item).toBe(false);

    const full = await getJson<MeetingsPage>(
      `${fathom.baseUrl}/meetings?include_transcript=true&include_summary=true&include_action_items=false`,
    );
    const fullItem = full.body.items[0];
    expect(fullItem?.transcript?.length).toBe(6);
    expect(fullItem?.default_summary?.markdown_formatted).toContain('## Goals');
    expect(fullItem && 'action_items' in fullItem).toBe(false);

    const id = fullItem?.recording_id;
    const transcript = await getJson<{ transcript: unknown[] }>(
      `${fathom.baseUrl}/recordings/${id}/transcript`,
    );
    expect(transcript.body.transcript).toHaveLength(6);
    const unknown = await fetch(`${fathom.baseUrl}/recordings/1/summary`, { headers: KEY });
    expect(unknown.status).toBe(404);
  });

  it('answers 401 to a wrong key, with rate limit headers', async () => {
    fathom = await startFakeFathom({ meetings: [] });
    const { response, body } = await getJson<{ error: string }>(`${fathom.baseUrl}/meetings`, {
      'X-Api-Key': 'wrong',
    });
    expect(response.status).toBe(401);
    expect(body.error).toBeTruthy();
    expect(response.headers.get('RateLimit-Limit')).toBe('60');
    expect(fathom.requests[0]?.apiKey).toBe('wrong');
  });

  it('plays queued behaviours once each, then answers normally', async () => {
    fathom = await startFakeFathom({ meetings: [] });
    fathom.enqueue({ kind: 'status', status: 429, retryAfterSeconds: 7 }, { kind: 'reset' });
    const limited = await fetch(`${fathom.baseUrl}/meetings`, { headers: KEY });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('Retry-After')).toBe('7');
    await expect(fetch(`${fathom.baseUrl}/meetings`, { headers: KEY })).rejects.toThrow();
    const fine = await fetch(`${fathom.baseUrl}/meetings`, { headers: KEY });
    expect(fine.status).toBe(200);
    expect(fathom.requests.map((r) => r.path)).toEqual(Array(3).fill('/external/v1/meetings'));
  });

  it('enforces the sliding-window rate limit with Retry-After', async () => {
    fathom = await startFakeFathom({ meetings: [], rateLimit: { limit: 3, windowMs: 60_000 } });
    const statuses: number[] = [];
    const remaining: Array<string | null> = [];
    let lastResponse: Response | undefined;
    for (let call = 0; call < 4; call++) {
      lastResponse = await fetch(`${fathom.baseUrl}/meetings`, { headers: KEY });
      statuses.push(lastResponse.status);
      remaining.push(lastResponse.headers.get('RateLimit-Remaining'));
      await lastResponse.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(remaining).toEqual(['2', '1', '0', '0']);
    expect(Number(lastResponse?.headers.get('Retry-After'))).toBeGreaterThanOrEqual(59);
    expect(fathom.requests).toHaveLength(4);
  });

  it('ends a hanging request when closed', async () => {
    fathom = await startFakeFathom({ meetings: [] });
    fathom.setDefault({ kind: 'hang' });
    const pending = fetch(`${fathom.baseUrl}/meetings`, { headers: KEY });
    await expect.poll(() => fathom?.requests.length).toBe(1);
    await fathom.close();
    await expect(pending).rejects.toThrow();
  });
});

describe('fake OpenAI through the real SDK', () => {
  let openai: FakeOpenAI | undefined;
  afterEach(async () => {
    await openai?.close();
    openai = undefined;
  });

  const insightsFormat = {
    type: 'json_schema' as const,
    json_schema: {
      name: 'insights',
      strict: true,
      schema: {
        type: 'object',
        additionalProperties: false,
        required: ['goals', 'challenges'],
        properties: Object.fromEntries(
          ['goals', 'challenges'].map((key) => [
            key,
            {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['text', 'meeting_ids'],
                properties: {
                  text: { type: 'string' },
                  meeting_ids: { type: 'array', items: { type: 'string' } },
                },
              },
            },
          ]),
        ),
      },
    },
  };

  const client = (fake: FakeOpenAI, apiKey = 'openai-test-key') =>
    new OpenAI({ apiKey, baseURL: fake.baseUrl, maxRetries: 2 });

  const userPrompt = [
    'Meeting 100001: Acme <> Ourteam (2025-09-01)',
    'Summary:',
    '- Acme wants to ship',
    '---',
    'Meeting 100004: Acme <> Ourteam (2025-09-02)',
    'Transcript:',
    '[00:00:12] Sam: What matters most?',
    '[00:00:49] Jane: Our goal is to ship.',
  ].join('\n');

  it('answers a json_schema request with insights quoting the meetings in the prompt', async () => {
    openai = await startFakeOpenAI();
    const completion = await client(openai).chat.completions.create({
      model: 'gpt-test',
      temperature: 0,
      messages: [
        { role: 'system', content: 'Meeting 5: ignore me, I am the system prompt.' },
        { role: 'user', content: userPrompt },
      ],
      response_format: insightsFormat,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion._request_id).toMatch(/^req_/);
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
    const answer = JSON.parse(completion.choices[0]?.message.content ?? 'null');
    expect(answer.goals.map((g: InsightsAnswer['goals'][number]) => g.evidence)).toEqual([
      [{ meeting_id: '100001', quote: 'Acme wants to ship' }],
      [{ meeting_id: '100004', quote: 'What matters most?' }],
    ]);
    expect(answer.challenges[1]).toEqual({
      text: 'Challenge drawn from meeting 100004',
      evidence: [{ meeting_id: '100004', quote: 'Our goal is to ship.' }],
    });
    expect(openai.requests[0]?.body.temperature).toBe(0);
    expect(openai.requests[0]?.authorization).toBe('Bearer openai-test-key');
  });

  it('works with chat.completions.parse', async () => {
    openai = await startFakeOpenAI({ respond: () => ({ goals: [], challenges: [] }) });
    const completion = await client(openai).chat.completions.parse({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'nothing' }],
      response_format: insightsFormat,
    });
    expect(completion.choices[0]?.message.parsed).toEqual({ goals: [], challenges: [] });
  });

  it('lets the SDK retry a queued 500 and then succeed', async () => {
    openai = await startFakeOpenAI();
    openai.enqueue({ kind: 'status', status: 500 });
    const completion = await client(openai).chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: userPrompt }],
      response_format: insightsFormat,
    });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(openai.requests).toHaveLength(2);
  });

  it('raises AuthenticationError for a wrong key', async () => {
    openai = await startFakeOpenAI();
    const call = client(openai, 'sk-wrong-key-123456').chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
    });
    await expect(call).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(call).rejects.toMatchObject({ code: 'invalid_api_key' });
  });

  it('rejects a strict schema the real API would reject', async () => {
    openai = await startFakeOpenAI();
    const call = client(openai).chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'loose',
          strict: true,
          schema: { type: 'object', properties: { a: { type: 'string' } }, required: [] },
        },
      },
    });
    await expect(call).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('lists models', async () => {
    openai = await startFakeOpenAI();
    const models = await client(openai).models.list();
    expect(models.data.map((model) => model.id)).toEqual(['gpt-test']);
  });
});
