import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ENGAGEMENT_UPDATED,
  graphqlRequest,
  START,
  subscribe,
} from '../../support/graphqlClients.ts';
import { ScriptedPipeline, sampleSummary } from '../../support/scriptedPipeline.ts';
import { openSubscriptions, startTestApp, type TestApp } from '../support/testApp.ts';

// Apollo's multipart subscription protocol on the wire, read with plain fetch: what Apollo
// Client's HttpLink relies on (the Apollo client itself is run against every subscription
// rule in subscriptions.test.ts, auth.test.ts, inputValidation.test.ts and slowClients.test.ts).

const APOLLO_ACCEPT =
  'multipart/mixed;boundary=graphql;subscriptionSpec=1.0,application/graphql-response+json,application/json;q=0.9';
const CONTENT_TYPE = 'multipart/mixed; boundary="graphql"; subscriptionSpec="1.0"';
const PART_HEADERS = '\r\nContent-Type: application/json; charset=utf-8\r\n\r\n';
const DELIMITER = '\r\n--graphql';
const TOKEN = 'multipart-test-token-0123456789';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function app(env: Record<string, string> = {}) {
  const pipeline = new ScriptedPipeline();
  const server = await startTestApp('memory', env, { pipeline });
  cleanups.push(() => server.close());
  return { server, pipeline };
}

async function startRun(server: TestApp, headers: Record<string, string> = {}): Promise<string> {
  const started = await graphqlRequest<{ startEngagementSummary: { runId: string } }>(
    server.graphqlUrl,
    START,
    { domain: 'acme.com' },
    headers,
  );
  return started.data?.startEngagementSummary.runId as string;
}

/** A multipart subscription read with fetch: the raw text so far, with when each chunk came. */
function rawSubscription(
  server: TestApp,
  variables: Record<string, unknown>,
  options: { accept?: string; headers?: Record<string, string>; query?: string } = {},
) {
  const controller = new AbortController();
  const chunks: Array<{ at: number; text: string }> = [];
  const response = fetch(server.graphqlUrl, {
    method: 'POST',
    signal: controller.signal,
    headers: {
      'content-type': 'application/json',
      accept: options.accept ?? APOLLO_ACCEPT,
      ...options.headers,
    },
    body: JSON.stringify({ query: options.query ?? ENGAGEMENT_UPDATED, variables }),
  });
  const done = response.then(async (res) => {
    const decoder = new TextDecoder();
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    try {
      for (let step = await reader.read(); !step.done; step = await reader.read()) {
        chunks.push({ at: performance.now(), text: decoder.decode(step.value, { stream: true }) });
      }
    } catch {
      // aborted by the test
    }
  });
  cleanups.push(() => controller.abort());
  return {
    response,
    done,
    abort: () => controller.abort(),
    text: () => chunks.map((c) => c.text).join(''),
    chunks,
  };
}

/** The JSON bodies of the parts of a multipart text, in order (the heartbeats included). */
function parts(text: string): unknown[] {
  return text
    .split(DELIMITER)
    .slice(1, -1)
    .map((part) => JSON.parse(part.slice(part.indexOf('\r\n\r\n') + 4)));
}

describe('multipart subscriptions on the wire', () => {
  it('frames each state as a part followed at once by the delimiter, then closes', async () => {
    const { server, pipeline } = await app();
    const runId = await startRun(server);
    const run = await pipeline.started(runId);
    const sub = rawSubscription(server, { domain: 'acme.com', runId });
    const response = await sub.response;
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(CONTENT_TYPE);

    // The first state, and nothing written since: its delimiter is already there.
    await vi.waitFor(() => expect(parts(sub.text())).toHaveLength(1));
    const first = sub.text();
    expect(
      first.startsWith(`${DELIMITER}${PART_HEADERS}{"payload":{"data":{"engagementUpdated":`),
    ).toBe(true);
    expect(first.endsWith(`}}}${DELIMITER}`)).toBe(true);

    await run.report({ stage: 'fetching_meetings' });
    await vi.waitFor(() => expect(parts(sub.text())).toHaveLength(2));
    expect(sub.text().endsWith(DELIMITER)).toBe(true);
    run.finish(sampleSummary());
    await sub.done;

    const text = sub.text();
    expect(text.endsWith(`${DELIMITER}--\r\n`)).toBe(true);
    const payloads = parts(text) as Array<{
      payload: { data: { engagementUpdated: { version: number; status: string } } };
    }>;
    expect(payloads.map((p) => p.payload.data.engagementUpdated.version)).toEqual([1, 2, 3]);
    expect(payloads.at(-1)?.payload.data.engagementUpdated.status).toBe('COMPLETE');
    // Every part is `Content-Type: application/json` and nothing but JSON.
    expect(
      text
        .split(DELIMITER)
        .slice(1, -1)
        .every((p) => p.startsWith(PART_HEADERS)),
    ).toBe(true);
  });

  it.each([
    'multipart/mixed;subscriptionSpec=1.0',
    'multipart/mixed; subscriptionSpec="1.0", application/json',
    'multipart/mixed; boundary="graphql"; subscriptionSpec="1.0", application/json',
    'application/json;q=0.9, multipart/mixed;boundary=graphql;subscriptionSpec=1.0',
  ])('answers Accept: %s in the multipart protocol', async (accept) => {
    const { server, pipeline } = await app();
    const runId = await startRun(server);
    (await pipeline.started(runId)).finish(sampleSummary());
    await vi.waitFor(async () =>
      expect((await server.app.services.runs.get('acme.com', runId))?.status).toBe('complete'),
    );
    const sub = rawSubscription(server, { domain: 'acme.com', runId }, { accept });
    expect((await sub.response).headers.get('content-type')).toBe(CONTENT_TYPE);
    await sub.done;
    const [only, ...rest] = parts(sub.text()) as Array<{
      payload: { data: { engagementUpdated: { status: string } } };
    }>;
    expect(only?.payload.data.engagementUpdated.status).toBe('COMPLETE');
    expect(rest).toEqual([]);
    expect(sub.text().endsWith('--\r\n')).toBe(true);
  });

  it('sends an empty {} part whenever nothing else was sent for HTTP_STREAM_HEARTBEAT_MS', async () => {
    const { server, pipeline } = await app({ HTTP_STREAM_HEARTBEAT_MS: '150' });
    const runId = await startRun(server);
    const run = await pipeline.started(runId);
    const sub = rawSubscription(server, { domain: 'acme.com', runId });
    await vi.waitFor(() => expect(parts(sub.text()).length).toBeGreaterThanOrEqual(5), {
      timeout: 5_000,
    });
    const [state, ...heartbeats] = parts(sub.text());
    expect(state).toMatchObject({ payload: { data: { engagementUpdated: { version: 1 } } } });
    expect(heartbeats.every((h) => JSON.stringify(h) === '{}')).toBe(true);
    // No silence much longer than the interval (the machine is shared: generous slack).
    const gaps = sub.chunks.slice(1).map((c, i) => c.at - (sub.chunks[i]?.at ?? c.at));
    expect(Math.max(...gaps)).toBeLessThan(1_000);

    // A state in between is a part like any other, and the heartbeats go on after it.
    await run.report({ stage: 'fetching_meetings' });
    const before = parts(sub.text()).length;
    await vi.waitFor(() => expect(parts(sub.text()).length).toBeGreaterThan(before + 1));
    const states = parts(sub.text()).filter((p) => JSON.stringify(p) !== '{}');
    expect(states).toHaveLength(2);
  });

  it('hands Apollo Client every state in order between heartbeats, then completes', async () => {
    const { server, pipeline } = await app({ HTTP_STREAM_HEARTBEAT_MS: '50' });
    const runId = await startRun(server);
    const run = await pipeline.started(runId);
    const apollo = subscribe<{ engagementUpdated: { version: number; status: string } }>(
      { transport: 'multipart', ...server },
      ENGAGEMENT_UPDATED,
      { domain: 'acme.com', runId },
    );
    cleanups.push(() => apollo.dispose());
    await apollo.waitFor(1);
    for (const stage of ['fetching_meetings', 'summarizing'] as const) {
      await new Promise((resolve) => setTimeout(resolve, 300)); // a few heartbeats go by
      await run.report({ stage });
    }
    run.finish(sampleSummary());
    expect(await apollo.ended).toBe('complete');
    expect(apollo.errors).toEqual([]);
    expect(apollo.events.map((e) => e.engagementUpdated.version)).toEqual([1, 2, 3, 4]);
    expect(apollo.events.at(-1)?.engagementUpdated.status).toBe('COMPLETE');
  });

  it('refuses a subscription without a valid token: 401 with UNAUTHENTICATED', async () => {
    const { server, pipeline } = await app({ AUTH_TOKENS: TOKEN });
    const runId = await startRun(server, { authorization: `Bearer ${TOKEN}` });
    await pipeline.started(runId);
    for (const accept of [APOLLO_ACCEPT, 'multipart/mixed;subscriptionSpec=1.0']) {
      const refused = rawSubscription(
        server,
        { domain: 'acme.com', runId },
        { accept, headers: { authorization: 'Bearer wrong-token-0123456789' } },
      );
      const response = await refused.response;
      expect(response.status, accept).toBe(401);
      await refused.done;
      expect(refused.text(), accept).toContain('"code":"UNAUTHENTICATED"');
      expect(refused.text(), accept).not.toContain('wrong-token');
    }
    const allowed = rawSubscription(
      server,
      { domain: 'acme.com', runId },
      { headers: { authorization: `Bearer ${TOKEN}` } },
    );
    await vi.waitFor(() => expect(parts(allowed.text())).toHaveLength(1));
    expect(await openSubscriptions(server, 'multipart')).toBe(1);
  });

  it('answers an unknown run with NOT_FOUND, as JSON when JSON is accepted, else as one part', async () => {
    const { server } = await app();
    const variables = { domain: 'acme.com', runId: '00000000-0000-4000-8000-000000000000' };
    const json = rawSubscription(server, variables);
    const response = await json.response;
    expect(response.headers.get('content-type')).toContain('json');
    await json.done;
    expect(JSON.parse(json.text()).errors[0].extensions.code).toBe('NOT_FOUND');

    const multipart = rawSubscription(server, variables, {
      accept: 'multipart/mixed;subscriptionSpec=1.0',
    });
    expect((await multipart.response).headers.get('content-type')).toBe(CONTENT_TYPE);
    await multipart.done;
    expect(parts(multipart.text())).toEqual([
      { payload: { errors: [expect.objectContaining({ extensions: { code: 'NOT_FOUND' } })] } },
    ]);
    expect(server.app.services.runs.openWatches).toBe(0);
  });

  it('releases the subscription and the gauge when the client goes away', async () => {
    const { server, pipeline } = await app();
    const runId = await startRun(server);
    await pipeline.started(runId);
    const raw = rawSubscription(server, { domain: 'acme.com', runId });
    const apollo = subscribe({ transport: 'multipart', ...server }, ENGAGEMENT_UPDATED, {
      domain: 'acme.com',
      runId,
    });
    cleanups.push(() => apollo.dispose());
    await apollo.waitFor(1);
    await vi.waitFor(() => expect(parts(raw.text())).toHaveLength(1));
    expect(await openSubscriptions(server, 'multipart')).toBe(2);
    expect(server.app.services.runs.openWatches).toBe(2);

    raw.abort();
    await vi.waitFor(async () => expect(await openSubscriptions(server, 'multipart')).toBe(1));
    await apollo.dispose();
    await vi.waitFor(async () => expect(await openSubscriptions(server, 'multipart')).toBe(0));
    expect(server.app.services.runs.openWatches).toBe(0);
  });

  it('tells an open stream the server is going away, then closes it', async () => {
    const { server, pipeline } = await app();
    const runId = await startRun(server);
    await pipeline.started(runId);
    const sub = rawSubscription(server, { domain: 'acme.com', runId });
    await vi.waitFor(() => expect(parts(sub.text())).toHaveLength(1));
    const closing = server.close();
    await sub.done;
    await closing;
    // The stream's last part says why, with the code every transport uses for it.
    expect(parts(sub.text()).at(-1)).toEqual({
      payload: {
        errors: [
          {
            message: 'The server is shutting down; subscribe again.',
            extensions: { code: 'UNAVAILABLE' },
          },
        ],
      },
    });
    expect(sub.text().endsWith(`${DELIMITER}--\r\n`)).toBe(true);
  });

  it('leaves a plain multipart/mixed subscription (no subscriptionSpec) refused, with nothing held', async () => {
    const { server, pipeline } = await app();
    const runId = await startRun(server);
    await pipeline.started(runId);
    const refused = rawSubscription(
      server,
      { domain: 'acme.com', runId },
      { accept: 'multipart/mixed' },
    );
    expect((await refused.response).status).toBe(406);
    await vi.waitFor(() => expect(server.app.services.runs.openWatches).toBe(0));
  });
});

describe('SSE subscriptions on the wire, written the same way', () => {
  it('frames each state as an event, sends a comment as the heartbeat, and completes', async () => {
    const { server, pipeline } = await app({ HTTP_STREAM_HEARTBEAT_MS: '100' });
    const runId = await startRun(server);
    const run = await pipeline.started(runId);
    const sub = rawSubscription(
      server,
      { domain: 'acme.com', runId },
      { accept: 'text/event-stream' },
    );
    const response = await sub.response;
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    await vi.waitFor(() => expect(sub.text().split(':\n\n').length).toBeGreaterThan(4));
    run.finish(sampleSummary());
    await sub.done;
    const events = sub
      .text()
      .split('\n\n')
      .filter((block) => block !== ':');
    expect(events.at(-1)).toBe('');
    expect(events.at(-2)).toBe('event: complete\ndata:');
    const states = events
      .filter((block) => block.startsWith('event: next\ndata: '))
      .map((block) => JSON.parse(block.slice('event: next\ndata: '.length)));
    expect(states.map((s) => s.data.engagementUpdated.version)).toEqual([1, 2]);
    expect(states[1].data.engagementUpdated.status).toBe('COMPLETE');
  });
});
