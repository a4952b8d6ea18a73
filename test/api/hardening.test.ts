import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { GRAPHQL_LIMITS } from '../../src/http/plugins/useHardening.ts';
import { graphqlRequest } from '../../support/graphqlClients.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function app(env: Record<string, string> = {}): Promise<TestApp> {
  const server = await startTestApp('memory', env);
  cleanups.push(() => server.close());
  return server;
}

const firstMessage = (result: { errors?: Array<{ message: string }> }) =>
  result.errors?.[0]?.message ?? '';

describe('query limits (graphql-armor)', () => {
  it('refuses a query deeper than GRAPHQL_MAX_DEPTH', async () => {
    const server = await app({ GRAPHQL_MAX_DEPTH: '3' });
    const shallow = '{ engagements(domain: "acme.com") { progress { stage } } }';
    expect((await graphqlRequest(server.graphqlUrl, shallow)).errors).toBeUndefined();
    const deep = '{ engagements(domain: "acme.com") { summary { goals { text } } } }';
    expect(firstMessage(await graphqlRequest(server.graphqlUrl, deep))).toMatch(/depth/i);
  });

  it('refuses too many aliases, too many tokens and too many directives', async () => {
    const server = await app();
    const aliases = Array.from(
      { length: GRAPHQL_LIMITS.maxAliases + 1 },
      (_, i) => `a${i}: engagements(domain: "acme.com") { version }`,
    ).join(' ');
    expect(firstMessage(await graphqlRequest(server.graphqlUrl, `{ ${aliases} }`))).toMatch(
      /alias/i,
    );

    const tokens = `{ engagements(domain: "acme.com") { ${'version '.repeat(GRAPHQL_LIMITS.maxTokens)} } }`;
    expect(firstMessage(await graphqlRequest(server.graphqlUrl, tokens))).toMatch(/token/i);

    const directives = `{ __typename ${'@include(if: true) '.repeat(GRAPHQL_LIMITS.maxDirectives + 1)} }`;
    expect(firstMessage(await graphqlRequest(server.graphqlUrl, directives))).toMatch(/directive/i);
  });

  it('applies the same limits over WebSocket', async () => {
    const server = await app({ GRAPHQL_MAX_DEPTH: '3' });
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
    const messages: Array<{ type: string; payload?: unknown }> = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => socket.on('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await expect.poll(() => messages.some((m) => m.type === 'connection_ack')).toBe(true);
    socket.send(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: { query: '{ engagements(domain: "acme.com") { summary { goals { text } } } }' },
      }),
    );
    await expect.poll(() => messages.find((m) => m.type === 'error')).toBeTruthy();
    expect(JSON.stringify(messages.find((m) => m.type === 'error'))).toMatch(/depth/i);
    socket.close();
  });
});

describe('HTTP requests', () => {
  it('refuses a body over MAX_BODY_BYTES with 413, and one of unknown length with 411', async () => {
    const server = await app({ MAX_BODY_BYTES: '2048' });
    const big = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ __typename } # ${'x'.repeat(4096)}` }),
    });
    expect(big.status).toBe(413);
    const streamed = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Blob([JSON.stringify({ query: '{ __typename }' })]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(411);
  });

  it('refuses GraphQL sent as a simple cross-site request (CSRF)', async () => {
    const server = await app();
    const viaGet = await fetch(
      `${server.graphqlUrl}?query=${encodeURIComponent('{ __typename }')}`,
      {
        headers: { accept: 'application/json' },
      },
    );
    expect(viaGet.status).toBe(403);
    // A subscription over SSE by GET (as GraphiQL sends one) needs the header too.
    const subscription = `subscription { engagementUpdated(domain: "acme.com", runId: "${randomUUID()}") { version } }`;
    const sseViaGet = await fetch(
      `${server.graphqlUrl}?query=${encodeURIComponent(subscription)}`,
      {
        headers: { accept: 'text/event-stream' },
      },
    );
    expect(sseViaGet.status).toBe(403);
    const asForm = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: `query=${encodeURIComponent('mutation { deleteEngagements(domain: "acme.com") }')}`,
    });
    expect(asForm.status).toBe(403);
    const withHeader = await fetch(
      `${server.graphqlUrl}?query=${encodeURIComponent('{ __typename }')}`,
      {
        headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1' },
      },
    );
    expect(withHeader.status).toBe(200);
  });

  it('can switch introspection off', async () => {
    const on = await app();
    expect(
      (await graphqlRequest(on.graphqlUrl, '{ __schema { queryType { name } } }')).errors,
    ).toBeUndefined();
    const off = await app({ GRAPHQL_INTROSPECTION: 'false' });
    const refused = await graphqlRequest(off.graphqlUrl, '{ __schema { queryType { name } } }');
    expect(firstMessage(refused)).toMatch(/introspection is disabled/i);
    expect(
      (await graphqlRequest(off.graphqlUrl, '{ engagements(domain: "acme.com") { version } }'))
        .errors,
    ).toBeUndefined();
  });
});

describe('WebSocket connections', () => {
  const open = (url: string, options: { autoPong?: boolean } = {}) =>
    new Promise<{ socket: WebSocket; status: 'open' | number }>((resolve) => {
      const socket = new WebSocket(url, 'graphql-transport-ws', options);
      socket.on('error', () => {}); // a refused upgrade also reports an error; the status says it
      socket.once('open', () => resolve({ socket, status: 'open' }));
      socket.once('unexpected-response', (_req, res) =>
        resolve({ socket, status: res.statusCode ?? 0 }),
      );
    });

  it('refuses connections past WS_MAX_CONNECTIONS_PER_CLIENT and WS_MAX_CONNECTIONS', async () => {
    const perClient = await app({ WS_MAX_CONNECTIONS_PER_CLIENT: '3' });
    const first = await Promise.all([1, 2, 3].map(() => open(perClient.wsUrl)));
    expect(first.map((c) => c.status)).toEqual(['open', 'open', 'open']);
    expect((await open(perClient.wsUrl)).status).toBe(429);
    first[0]?.socket.close();
    await expect
      .poll(async () => {
        const next = await open(perClient.wsUrl);
        next.socket.close();
        return next.status;
      })
      .toBe('open');
    for (const c of first) c.socket.close();

    const total = await app({ WS_MAX_CONNECTIONS: '2' });
    const two = await Promise.all([1, 2].map(() => open(total.wsUrl)));
    expect((await open(total.wsUrl)).status).toBe(503);
    for (const c of two) c.socket.close();
  });

  it('pings idle sockets to keep them alive (WS_KEEPALIVE_MS)', async () => {
    const server = await app({ WS_KEEPALIVE_MS: '200' });
    const { socket } = await open(server.wsUrl);
    let pings = 0;
    socket.on('ping', () => pings++);
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await expect.poll(() => pings, { timeout: 3000 }).toBeGreaterThanOrEqual(2);
    expect(socket.readyState).toBe(WebSocket.OPEN);
    socket.close();
  });

  it('ends a socket that did not answer the previous ping', async () => {
    const server = await app({ WS_KEEPALIVE_MS: '200' });
    // A peer gone without closing: its socket is open, but nothing answers.
    const { socket } = await open(server.wsUrl, { autoPong: false });
    let pings = 0;
    socket.on('ping', () => pings++);
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    expect(await closed).toBe(1006);
    expect(pings).toBe(1);
  });
});
