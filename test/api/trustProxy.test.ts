import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { graphqlRequest, START } from '../../support/graphqlClients.ts';
import { ScriptedPipeline } from '../../support/scriptedPipeline.ts';
import { capturingLogger } from '../support/logCapture.ts';
import { BACKENDS, startTestApp, type TestApp } from '../support/testApp.ts';

/**
 * Every test client connects from 127.0.0.1; X-Forwarded-For says who it claims to be. With
 * TRUST_PROXY=N the service believes the N-th entry from the right, as if N proxies had
 * appended to it; with 0 it believes the socket.
 */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function app(
  env: Record<string, string>,
  backend: 'memory' | 'redis' = 'memory',
  overrides: Parameters<typeof startTestApp>[2] = {},
): Promise<TestApp> {
  const server = await startTestApp(backend, env, {
    pipeline: new ScriptedPipeline(),
    ...overrides,
  });
  cleanups.push(() => server.close());
  return server;
}

/** Opens a graphql-transport-ws socket; resolves to 'open' or the refused upgrade's status. */
function openSocket(url: string, forwardedFor?: string, token?: string) {
  return new Promise<'open' | number>((resolve) => {
    const socket = new WebSocket(url, 'graphql-transport-ws', {
      headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
    });
    cleanups.push(async () => {
      socket.terminate();
    });
    socket.on('error', () => {}); // a refused upgrade also reports an error; the status says it
    socket.once('open', () => {
      if (token !== undefined)
        socket.send(
          JSON.stringify({
            type: 'connection_init',
            payload: { Authorization: `Bearer ${token}` },
          }),
        );
      resolve('open');
    });
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
  });
}

async function openEach(url: string, forwardedFor: string[]): Promise<Array<'open' | number>> {
  const statuses: Array<'open' | number> = [];
  for (const header of forwardedFor) statuses.push(await openSocket(url, header));
  return statuses;
}

describe('WS_MAX_CONNECTIONS_PER_CLIENT per client address', () => {
  it('gives each forwarded address its own allowance with TRUST_PROXY=1', async () => {
    const server = await app({ TRUST_PROXY: '1', WS_MAX_CONNECTIONS_PER_CLIENT: '2' });
    const a = '203.0.113.7';
    const b = '198.51.100.1';
    expect(await openEach(server.wsUrl, [a, a, a])).toEqual(['open', 'open', 429]);
    expect(await openEach(server.wsUrl, [b, b, b])).toEqual(['open', 'open', 429]);
    // The client's own entries, left of what the proxy appended, change nothing.
    expect(await openSocket(server.wsUrl, `192.0.2.99, ${a}`)).toBe(429);
    expect(await openSocket(server.wsUrl, `${a}, 192.0.2.99`)).toBe('open');
  });

  it('ignores a spoofed header with TRUST_PROXY=0: the socket address shares one allowance', async () => {
    const server = await app({ TRUST_PROXY: '0', WS_MAX_CONNECTIONS_PER_CLIENT: '2' });
    expect(await openEach(server.wsUrl, ['203.0.113.7', '198.51.100.1', '192.0.2.1'])).toEqual([
      'open',
      'open',
      429,
    ]);
    expect(await openSocket(server.wsUrl)).toBe(429);
  });

  it('picks the second address from the right with TRUST_PROXY=2', async () => {
    const server = await app({ TRUST_PROXY: '2', WS_MAX_CONNECTIONS_PER_CLIENT: '1' });
    const proxy = '10.0.0.2';
    // Different rightmost entries (the inner proxy), same client: one allowance.
    expect(
      await openEach(server.wsUrl, [`203.0.113.7, ${proxy}`, '203.0.113.7, 10.0.0.3']),
    ).toEqual(['open', 429]);
    // Another client behind the same proxy, and spoofed entries further left: their own.
    expect(await openSocket(server.wsUrl, `198.51.100.1, ${proxy}`)).toBe('open');
    expect(await openSocket(server.wsUrl, `203.0.113.7, 198.51.100.2, ${proxy}`)).toBe('open');
  });

  it('falls back to the socket address when there are fewer entries than TRUST_PROXY', async () => {
    const server = await app({ TRUST_PROXY: '2', WS_MAX_CONNECTIONS_PER_CLIENT: '2' });
    // One entry each, for two trusted proxies: every one of these is 127.0.0.1.
    expect(await openEach(server.wsUrl, ['203.0.113.7', '198.51.100.1', '192.0.2.1'])).toEqual([
      'open',
      'open',
      429,
    ]);
    expect(await openSocket(server.wsUrl)).toBe(429);
  });
});

describe.each(BACKENDS)('START_RATE_LIMIT per client address, auth off, on %s', (backend) => {
  const startOverGraphQL = async (server: TestApp, forwardedFor: string) => {
    const result = await graphqlRequest(
      server.graphqlUrl,
      START,
      { domain: 'limited.com' },
      { 'x-forwarded-for': forwardedFor },
    );
    return result.errors?.[0]?.extensions?.code ?? 'started';
  };
  const startOverRest = async (server: TestApp, forwardedFor: string) => {
    const response = await fetch(`${server.url}/make-server-888f4514/engagement-summary`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
      body: JSON.stringify({ domain: 'limited.com' }),
    });
    await response.body?.cancel();
    return response.status === 200 ? 'started' : response.status;
  };

  it('counts each forwarded address apart with TRUST_PROXY=1, over GraphQL and REST alike', async () => {
    const server = await app({ TRUST_PROXY: '1', START_RATE_LIMIT: '2' }, backend);
    const a = '203.0.113.7';
    const b = '2001:db8::7';
    expect(await startOverGraphQL(server, a)).toBe('started');
    expect(await startOverRest(server, a)).toBe('started');
    expect(await startOverGraphQL(server, a)).toBe('RATE_LIMITED');
    expect(await startOverRest(server, a)).toBe(429);
    // The same client as an IPv4-mapped IPv6 address is the same client.
    expect(await startOverRest(server, `::ffff:${a}`)).toBe(429);

    expect(await startOverRest(server, b)).toBe('started');
    expect(await startOverGraphQL(server, `[2001:DB8:0::7]:443`)).toBe('started');
    expect(await startOverGraphQL(server, b)).toBe('RATE_LIMITED');
    expect(await server.app.services.runs.list('limited.com', 100)).toHaveLength(4);
  });

  it('shares one count among spoofed addresses with TRUST_PROXY=0', async () => {
    const server = await app({ TRUST_PROXY: '0', START_RATE_LIMIT: '2' }, backend);
    expect(await startOverGraphQL(server, '203.0.113.7')).toBe('started');
    expect(await startOverRest(server, '198.51.100.1')).toBe('started');
    expect(await startOverGraphQL(server, '192.0.2.1')).toBe('RATE_LIMITED');
    expect(await startOverRest(server, '192.0.2.2')).toBe(429);
    expect(await server.app.services.runs.list('limited.com', 100)).toHaveLength(2);
  });
});

describe('client address in the logs', () => {
  const lineFor = (lines: string[], match: Record<string, unknown>) =>
    lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => Object.entries(match).every(([key, value]) => line[key] === value));

  it('logs refusals and WebSocket connections with the forwarded address', async () => {
    const { logger, lines } = capturingLogger();
    const server = await app(
      { TRUST_PROXY: '1', START_RATE_LIMIT: '1', WS_MAX_CONNECTIONS_PER_CLIENT: '1' },
      'memory',
      { logger },
    );
    const headers = { 'x-forwarded-for': '192.0.2.99, 203.0.113.7' };
    await graphqlRequest(server.graphqlUrl, START, { domain: 'acme.com' }, headers);
    await graphqlRequest(server.graphqlUrl, START, { domain: 'acme.com' }, headers);
    await graphqlRequest(server.graphqlUrl, START, { domain: 'acme.com\u0000' }, headers);
    expect(await openSocket(server.wsUrl, '203.0.113.7')).toBe('open');
    expect(await openSocket(server.wsUrl, '203.0.113.7')).toBe(429);

    expect(
      lineFor(lines, { code: 'RATE_LIMITED', clientAddress: '203.0.113.7', transport: 'http' }),
    ).toMatchObject({ level: 30, msg: expect.stringMatching(/Too many runs started/) });
    expect(lineFor(lines, { code: 'BAD_USER_INPUT', clientAddress: '203.0.113.7' })).toMatchObject({
      level: 20,
      msg: expect.stringMatching(/control character/),
    });
    expect(lineFor(lines, { msg: 'WebSocket opened', clientAddress: '203.0.113.7' })).toBeTruthy();
    expect(lineFor(lines, { status: 429, clientAddress: '203.0.113.7' })).toMatchObject({
      level: 30,
    });
    // The client's own entry never shows up as its address.
    expect(lines.some((line) => line.includes('192.0.2.99'))).toBe(false);
  });

  it('logs a subscription refused over WebSocket and SSE with the forwarded address', async () => {
    const { logger, lines } = capturingLogger();
    const server = await app({ TRUST_PROXY: '1' }, 'memory', { logger });
    const watchBadDomain = {
      query:
        'subscription($d: String!, $r: ID!) { engagementUpdated(domain: $d, runId: $r) { version } }',
      variables: { d: 'acme.com\t', r: '00000000-0000-4000-8000-000000000000' },
    };

    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws', {
      headers: { 'x-forwarded-for': '203.0.113.21' },
    });
    cleanups.push(async () => void socket.terminate());
    const messages: Array<{ type: string; payload?: unknown }> = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await expect.poll(() => messages.some((m) => m.type === 'connection_ack')).toBe(true);
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: watchBadDomain }));
    await expect.poll(() => messages.some((m) => m.type === 'complete')).toBe(true);
    expect(JSON.stringify(messages)).toContain('BAD_USER_INPUT');

    const sse = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: {
        'x-forwarded-for': '203.0.113.22',
        'content-type': 'application/json',
        accept: 'text/event-stream',
      },
      body: JSON.stringify(watchBadDomain),
    });
    expect(await sse.text()).toContain('BAD_USER_INPUT');

    for (const [clientAddress, transport] of [
      ['203.0.113.21', 'websocket'],
      ['203.0.113.22', 'sse'],
    ]) {
      expect(
        lineFor(lines, { clientAddress, transport, code: 'BAD_USER_INPUT' }),
        transport,
      ).toMatchObject({ level: 20, msg: expect.stringMatching(/control character U\+0009/) });
    }
  });

  it('logs failed auth on every transport with the forwarded address, never the token', async () => {
    const { logger, lines } = capturingLogger();
    const server = await app({ TRUST_PROXY: '1', AUTH_TOKENS: 'right-token' }, 'memory', {
      logger,
    });
    const badToken = 'wrong-token-value';
    const auth = { authorization: `Bearer ${badToken}` };
    const http = await graphqlRequest(
      server.graphqlUrl,
      '{ __typename }',
      {},
      {
        ...auth,
        'x-forwarded-for': '203.0.113.1',
      },
    );
    expect(http.status).toBe(401);
    const sse = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: {
        ...auth,
        'x-forwarded-for': '203.0.113.2',
        'content-type': 'application/json',
        accept: 'text/event-stream',
      },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    await sse.body?.cancel();
    const rest = await fetch(`${server.url}/make-server-888f4514/engagement-summary`, {
      method: 'POST',
      headers: { ...auth, 'x-forwarded-for': '203.0.113.3', 'content-type': 'application/json' },
      body: JSON.stringify({ domain: 'acme.com' }),
    });
    expect(rest.status).toBe(401);
    const metrics = await fetch(`${server.url}/metrics`, {
      headers: { ...auth, 'x-forwarded-for': '203.0.113.4' },
    });
    expect(metrics.status).toBe(401);
    await openSocket(server.wsUrl, '203.0.113.5', badToken);

    const expected = [
      ['203.0.113.1', 'http'],
      ['203.0.113.2', 'sse'],
      ['203.0.113.3', 'rest'],
      ['203.0.113.4', 'rest'],
      ['203.0.113.5', 'websocket'],
    ];
    await expect
      .poll(() => lineFor(lines, { clientAddress: '203.0.113.5', code: 'UNAUTHENTICATED' }))
      .toBeTruthy();
    for (const [clientAddress, transport] of expected) {
      expect(
        lineFor(lines, { clientAddress, transport, code: 'UNAUTHENTICATED' }),
        `${transport} from ${clientAddress}`,
      ).toMatchObject({ level: 30 });
    }
    expect(lines.some((line) => line.includes(badToken))).toBe(false);
  });

  it('logs the socket address, not a spoofed one, with TRUST_PROXY=0', async () => {
    const { logger, lines } = capturingLogger();
    const server = await app({ TRUST_PROXY: '0', START_RATE_LIMIT: '1' }, 'memory', { logger });
    const headers = { 'x-forwarded-for': '203.0.113.7' };
    await graphqlRequest(server.graphqlUrl, START, { domain: 'acme.com' }, headers);
    await graphqlRequest(server.graphqlUrl, START, { domain: 'acme.com' }, headers);
    expect(lineFor(lines, { code: 'RATE_LIMITED' })).toMatchObject({ clientAddress: '127.0.0.1' });
    expect(lines.some((line) => line.includes('203.0.113.7'))).toBe(false);
  });
});
