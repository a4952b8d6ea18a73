import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ScriptedPipeline } from '../../support/scriptedPipeline.ts';
import { GRAPHQL_TRANSPORT_WS, ProtocolSocket } from '../support/protocolSocket.ts';
import { type BackendKind, startTestApp, type TestApp } from '../support/testApp.ts';

/**
 * The rules of graphql-ws's own server tests (tests/server.test.ts, tests/use.test.ts and
 * the message validation of tests/common.test.ts) and of its PROTOCOL.md, one test per
 * rule, seen on the wire by a client that speaks `graphql-transport-ws` by hand.
 *
 * Not ported, because they test graphql-ws server options this server does not have:
 * - a schema given as a promise or function; custom parse, validate, execute and subscribe
 *   functions; `roots`; `context` (a value, a function, or one from onSubscribe): parsing,
 *   validation, execution and context are Yoga's envelop, the same as over HTTP.
 * - jsonMessageReplacer / jsonMessageReviver: messages are plain JSON.
 * - onConnect returning false, true, nothing or an ack payload, connectionParams in its
 *   context, the upgrade request and socket in the context's `extra`: connection_init is
 *   checked by the authenticator alone (ack and 4403 below).
 * - onSubscribe returning execution args or errors (also its persisted-queries example),
 *   onNext, onError, onOperation, onComplete, onDisconnect and onClose, and the socket's
 *   onPing / onPong replacing the automatic pong.
 * - 4500 with the message of an error thrown by any of those callbacks, the length limit of
 *   that reason, a schema left undefined, an empty array from onSubscribe: there are no
 *   callbacks to throw.
 * - "not closed by the init timeout while onConnect is still resolving": the timer stops when
 *   connection_init arrives (tested below: "does not close with 4408 once connection_init has
 *   arrived").
 * - "acknowledged even if the ack send did not resolve", "subscription reservations cleaned
 *   up on abrupt errors without a close", "no error message once the socket closed before
 *   onSubscribe resolved": races inside graphql-ws's asynchronous hooks, with no equivalent
 *   a client can observe here.
 * - a live query (execute returning an iterable): the schema has no @live, @defer or @stream.
 * - handleProtocols given a Set, an array, a string or junk: `ws` hands the server the offered
 *   subprotocols as a Set; the negotiation is tested below through the upgrade itself.
 * - keep-alive turned off by a zero interval: WS_KEEPALIVE_MS must be positive.
 * - 4500 on an 'error' event emitted on the ws server or a socket: graphql-ws's tests emit
 *   them by hand; a client cannot cause one here (ws closes bad frames itself, 1002/1009).
 *
 * Tested elsewhere, once: keep-alive pings and ending a socket that does not answer them
 * (hardening.test.ts), 1001 "Going away" on shutdown (lifecycle.test.ts), the connection
 * limits (hardening.test.ts, trustProxy.test.ts), tokens under either header name
 * (auth.test.ts), closing a client too far behind (slowClients.test.ts).
 *
 * Where this server does differently from graphql-ws, on purpose:
 * - A syntax error gets an `error` message and the socket stays open, like a validation
 *   error; graphql-ws lets the parser's error escape and closes the socket with 4500.
 * - A client message of a server-only type (`next`, `error`, `connection_ack`) closes with
 *   4400, as PROTOCOL.md says of a type not specified (for that direction); graphql-ws
 *   closes with 4500 "Unexpected message of type …".
 * - A missing or bad token closes with 4403 (the contract allows 4403 or 4401).
 */

const WATCH = `subscription Watch($domain: String!, $runId: ID!) {
  engagementUpdated(domain: $domain, runId: $runId) { status version progress { stage } }
}`;
const RUN = `query Run($domain: String!, $runId: ID!) {
  engagement(domain: $domain, runId: $runId) { domain runId status }
}`;
const START = `mutation Start($domain: String!) {
  startEngagementSummary(domain: $domain) { ok domain status }
}`;

const INVALID_MESSAGE = { code: 4400, reason: 'Invalid message received' };
const UNAUTHORIZED = { code: 4401, reason: 'Unauthorized' };
const FORBIDDEN = { code: 4403, reason: 'Forbidden' };
const SUBPROTOCOL_NOT_ACCEPTABLE = { code: 4406, reason: 'Subprotocol not acceptable' };
const INIT_TIMEOUT = { code: 4408, reason: 'Connection initialisation timeout' };
const TOO_MANY_INITS = { code: 4429, reason: 'Too many initialisation requests' };
const DUPLICATE_ID = { code: 4409, reason: 'Subscriber for not-unique already exists' };

let server: TestApp | undefined;
let pipeline: ScriptedPipeline;
const sockets: ProtocolSocket[] = [];

afterEach(async () => {
  for (const client of sockets.splice(0)) client.socket.terminate();
  await server?.close();
  server = undefined;
});

async function startServer(
  env: Record<string, string> = {},
  backend: BackendKind = 'memory',
): Promise<TestApp> {
  pipeline = new ScriptedPipeline();
  server = await startTestApp(backend, env, { pipeline });
  return server;
}

function connect(protocols?: string[]): ProtocolSocket {
  if (!server) throw new Error('start the server first');
  const client = new ProtocolSocket(server.wsUrl, protocols);
  sockets.push(client);
  return client;
}

async function connected(): Promise<ProtocolSocket> {
  const client = connect();
  await client.ready();
  return client;
}

/** Starts a run that stays PROCESSING until the test drives it on. */
async function startRun(domain = 'acme.com'): Promise<{ domain: string; runId: string }> {
  if (!server) throw new Error('start the server first');
  const run = await server.app.services.runs.start(domain);
  return { domain, runId: run.run_id };
}

/** A server, a run it leaves PROCESSING, and a connected client that watches the run. */
async function watchingClient(id: string) {
  await startServer();
  const run = await startRun();
  const client = await connected();
  client.send(subscribe(id, WATCH, run));
  return { client, ...run };
}

/** Sends the messages together on a fresh socket: how the server closes it, and what it sent. */
async function closeOnFreshSocket(env: Record<string, string>, ...messages: unknown[]) {
  await startServer(env);
  const client = connect();
  await client.opened;
  client.sendTogether(...messages);
  const close = await client.closed;
  return { ...close, received: client.received };
}

const AUTH = { AUTH_TOKENS: 'good-token' };
const GOOD_INIT = { type: 'connection_init', payload: { Authorization: 'Bearer good-token' } };

function subscribe(id: string, query: string, variables?: Record<string, unknown>) {
  return { id, type: 'subscribe', payload: { query, ...(variables ? { variables } : {}) } };
}

function openWatches(): number {
  return server?.app.services.runs.openWatches ?? 0;
}

describe('connection_init', () => {
  it('acknowledges connection_init with a connection_ack without payload', async () => {
    await startServer();
    for (const init of [
      { type: 'connection_init' },
      { type: 'connection_init', payload: null },
      { type: 'connection_init', payload: { any: 'thing' } },
    ]) {
      const client = connect();
      await client.opened;
      client.send(init);
      expect(await client.next()).toEqual({ type: 'connection_ack' });
    }
  });

  it('closes with 4408 when connection_init does not arrive in time', async () => {
    await startServer({ WS_INIT_TIMEOUT_MS: '100' });
    const client = connect();
    await client.opened;
    expect(await client.closed).toEqual(INIT_TIMEOUT);
    expect(client.received).toEqual([]);
  });

  it('does not close with 4408 once connection_init has arrived', async () => {
    await startServer({ WS_INIT_TIMEOUT_MS: '100' });
    const client = await connected();
    expect(await client.within(300)).toEqual([]);
    expect(await client.barrier()).toEqual([]);
  });

  it('closes with 4429 on a second connection_init', async () => {
    await startServer();
    const client = await connected();
    client.send({ type: 'connection_init' });
    expect(await client.closed).toEqual(TOO_MANY_INITS);
  });

  it('closes with 4429 on a second connection_init while the first is still being checked', async () => {
    const closed = await closeOnFreshSocket(AUTH, GOOD_INIT, GOOD_INIT);
    expect(closed).toMatchObject(TOO_MANY_INITS);
  });

  it('closes with 4403 when connection_init carries a bad token', async () => {
    const badInit = { type: 'connection_init', payload: { Authorization: 'Bearer bad-token' } };
    expect(await closeOnFreshSocket(AUTH, badInit)).toEqual({ ...FORBIDDEN, received: [] });
  });

  it('closes with 4403 when connection_init carries no token', async () => {
    const closed = await closeOnFreshSocket(AUTH, { type: 'connection_init' });
    expect(closed).toEqual({ ...FORBIDDEN, received: [] });
  });
});

describe('subprotocol', () => {
  it('closes with 4406 when the client offers no subprotocol', async () => {
    await startServer();
    const client = connect([]);
    expect(await client.closed).toEqual(SUBPROTOCOL_NOT_ACCEPTABLE);
  });

  it.each([[['notme', 'notmeither']], [['graphql-ws']], [[`${GRAPHQL_TRANSPORT_WS}gibberish`]]])(
    'selects no subprotocol when the client offers only %j',
    async (protocols) => {
      await startServer();
      const client = connect(protocols);
      await client.closed;
      expect(client.upgradeHeaders).not.toBeNull();
      expect(client.upgradeHeaders?.['sec-websocket-protocol']).toBeUndefined();
      expect(client.errors.map(String)).toEqual(['Error: Server sent no subprotocol']);
    },
  );

  it('selects graphql-transport-ws when the client offers it among others', async () => {
    await startServer();
    const client = connect(['this', GRAPHQL_TRANSPORT_WS, 'one']);
    await client.ready();
    expect(client.socket.protocol).toBe(GRAPHQL_TRANSPORT_WS);
  });
});

describe('ping and pong', () => {
  it('answers a ping with a pong, before connection_init too', async () => {
    await startServer();
    const client = connect();
    await client.opened;
    client.send({ type: 'ping' });
    expect(await client.next()).toEqual({ type: 'pong' });
  });

  it("returns the ping's payload in the pong", async () => {
    await startServer();
    const client = await connected();
    client.send({ type: 'ping', payload: { iCome: 'back' } });
    expect(await client.next()).toEqual({ type: 'pong', payload: { iCome: 'back' } });
  });

  it('does not react to a pong', async () => {
    await startServer();
    const client = await connected();
    client.send({ type: 'pong' });
    client.send({ type: 'pong', payload: { unsolicited: true } });
    expect(await client.within(100)).toEqual([]);
    expect(client.isClosed).toBe(false);
  });
});

describe('invalid messages', () => {
  it.each([
    ['not JSON', '{"type":"connection_init"'],
    ['JSON that is not an object: a string', '""'],
    ['JSON that is not an object: an array', '[]'],
    ['JSON that is not an object: a number', '9'],
    ['JSON that is not an object: null', 'null'],
    ['an object without type', {}],
    ['an empty type', { type: '' }],
    ['a type that is not a string', { type: 0 }],
    ['an unknown type', { type: 'nuxt' }],
    ['a server-only type: next', { id: '1', type: 'next', payload: { data: null } }],
    ['a server-only type: error', { id: '1', type: 'error', payload: [{ message: 'x' }] }],
    ['a server-only type: connection_ack', { type: 'connection_ack' }],
    ['connection_init with a string payload', { type: 'connection_init', payload: '' }],
    ['connection_init with a number payload', { type: 'connection_init', payload: 0 }],
    ['connection_init with an array payload', { type: 'connection_init', payload: [] }],
    ['ping with a number payload', { type: 'ping', payload: 0 }],
    ['pong with a string payload', { type: 'pong', payload: 'x' }],
    ['subscribe without id', { type: 'subscribe', payload: { query: '{ __typename }' } }],
    ['subscribe with a number id', { id: 0, type: 'subscribe', payload: { query: '{ a }' } }],
    ['subscribe with an empty id', { id: '', type: 'subscribe', payload: { query: '{ a }' } }],
    ['subscribe without payload', { id: 'id', type: 'subscribe' }],
    ['subscribe with an array payload', { id: 'id', type: 'subscribe', payload: [] }],
    ['subscribe with a string payload', { id: 'id', type: 'subscribe', payload: '' }],
    ['subscribe without query', { id: 'id', type: 'subscribe', payload: {} }],
    ['subscribe with a number query', { id: 'id', type: 'subscribe', payload: { query: 0 } }],
    ['subscribe with an object query', { id: 'id', type: 'subscribe', payload: { query: {} } }],
    [
      'subscribe with a number operationName',
      { id: 'id', type: 'subscribe', payload: { query: '', operationName: 0 } },
    ],
    [
      'subscribe with an object operationName',
      { id: 'id', type: 'subscribe', payload: { query: '', operationName: {} } },
    ],
    [
      'subscribe with string variables',
      { id: 'id', type: 'subscribe', payload: { query: '', variables: '' } },
    ],
    [
      'subscribe with string extensions',
      { id: 'id', type: 'subscribe', payload: { query: '', extensions: '' } },
    ],
    [
      'subscribe with number extensions',
      { id: 'id', type: 'subscribe', payload: { query: '', extensions: 0 } },
    ],
    ['complete without id', { type: 'complete' }],
    ['complete with a number id', { id: 0, type: 'complete' }],
    ['complete with an empty id', { id: '', type: 'complete' }],
  ])('closes with 4400 on an invalid message: %s', async (_kind, message) => {
    await startServer();
    const client = await connected();
    client.send(message);
    expect(await client.closed).toEqual(INVALID_MESSAGE);
    expect(client.received.slice(1)).toEqual([]);
  });
});

describe('subscribe', () => {
  it('closes with 4401 on subscribe before connection_init', async () => {
    const closed = await closeOnFreshSocket({}, subscribe('1', '{ __typename }'));
    expect(closed).toEqual({ ...UNAUTHORIZED, received: [] });
  });

  it('closes with 4401 on subscribe before connection_init has been acknowledged', async () => {
    const closed = await closeOnFreshSocket(AUTH, GOOD_INIT, subscribe('1', '{ __typename }'));
    expect(closed).toMatchObject(UNAUTHORIZED);
  });

  it('runs a query: one next with its result, then complete', async () => {
    await startServer();
    const { domain, runId } = await startRun();
    const client = await connected();
    client.send(subscribe('q', RUN, { domain, runId }));
    expect(await client.take(2)).toEqual([
      {
        id: 'q',
        type: 'next',
        payload: { data: { engagement: { domain, runId, status: 'PROCESSING' } } },
      },
      { id: 'q', type: 'complete' },
    ]);
  });

  it('accepts null variables, operationName and extensions', async () => {
    await startServer();
    const client = await connected();
    const payload = {
      query: '{ __typename }',
      variables: null,
      operationName: null,
      extensions: null,
    };
    client.send({ id: 'q', type: 'subscribe', payload });
    expect(await client.take(2)).toEqual([
      { id: 'q', type: 'next', payload: { data: { __typename: 'Query' } } },
      { id: 'q', type: 'complete' },
    ]);
  });

  it('accepts messages with fields the protocol does not name', async () => {
    await startServer();
    const client = connect();
    await client.opened;
    client.send({ type: 'connection_init', payload: {}, extra: 1 });
    expect(await client.next()).toEqual({ type: 'connection_ack' });
    client.send({ id: 'q', type: 'subscribe', payload: { query: '{ __typename }' }, extra: 1 });
    expect(await client.take(2)).toEqual([
      { id: 'q', type: 'next', payload: { data: { __typename: 'Query' } } },
      { id: 'q', type: 'complete' },
    ]);
  });

  it('runs a mutation: one next with its result, then complete', async () => {
    await startServer();
    const client = await connected();
    client.send(subscribe('m', START, { domain: 'https://www.Acme.com/about' }));
    expect(await client.take(2)).toEqual([
      {
        id: 'm',
        type: 'next',
        payload: {
          data: { startEngagementSummary: { ok: true, domain: 'acme.com', status: 'PROCESSING' } },
        },
      },
      { id: 'm', type: 'complete' },
    ]);
  });

  it('streams a subscription: a next per state, then complete after the terminal state', async () => {
    const { client, runId } = await watchingClient('s');
    const watched = (stage: string, status = 'PROCESSING', version = 1) => ({
      id: 's',
      type: 'next',
      payload: { data: { engagementUpdated: { status, version, progress: { stage } } } },
    });
    expect(await client.next()).toEqual(watched('QUEUED'));
    const run = await pipeline.started(runId);
    await run.report({ stage: 'fetching_meetings' });
    expect(await client.next()).toEqual(watched('FETCHING_MEETINGS', 'PROCESSING', 2));
    run.finish();
    expect(await client.take(2)).toEqual([
      watched('DONE', 'COMPLETE', 3),
      { id: 's', type: 'complete' },
    ]);
    expect(await client.barrier()).toEqual([]);
  });

  it.each<[string, { query: string; operationName?: string }, unknown[]]>([
    [
      'a syntax error',
      { query: '{ engagement(' },
      [
        {
          message: 'Syntax Error: Expected Name, found <EOF>.',
          locations: [{ line: 1, column: 14 }],
        },
      ],
    ],
    [
      'validation errors',
      { query: 'query TestNoField {\n  testNumber\n  testBoolean\n}' },
      ['testNumber', 'testBoolean'].map((field, i) => ({
        message: `Cannot query field "${field}" on type "Query".`,
        locations: [{ line: i + 2, column: 3 }],
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      })),
    ],
    [
      'an unknown operation name',
      { query: 'query A { __typename }', operationName: 'B' },
      [{ message: 'Unable to identify operation' }],
    ],
    [
      'no operation name among several operations',
      { query: 'query A { __typename } query B { __typename }' },
      [{ message: 'Unable to identify operation' }],
    ],
  ])(
    'answers %s with an error message and keeps the socket open',
    async (_kind, payload, errors) => {
      await startServer();
      const client = await connected();
      client.send({ id: '1', type: 'subscribe', payload });
      expect(await client.next()).toEqual({ id: '1', type: 'error', payload: errors });
      expect(await client.barrier()).toEqual([]);
    },
  );

  it.each<[string, string, Record<string, unknown>, unknown[]]>([
    [
      'an execution error',
      RUN,
      { domain: 'not a domain', runId: randomUUID() },
      [expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } })],
    ],
    [
      'variables that do not fit the operation',
      RUN,
      { domain: 3 },
      [
        expect.objectContaining({ message: expect.stringContaining('Variable "$domain"') }),
        expect.objectContaining({ message: expect.stringContaining('Variable "$runId"') }),
      ],
    ],
    [
      'a subscription to an unknown run',
      WATCH,
      { domain: 'acme.com', runId: randomUUID() },
      [expect.objectContaining({ extensions: { code: 'NOT_FOUND' } })],
    ],
  ])(
    'answers %s with next (errors in the result), then complete',
    async (_kind, query, variables, errors) => {
      await startServer();
      const client = await connected();
      client.send(subscribe('1', query, variables));
      const [next, complete] = await client.take(2);
      expect(next).toEqual({ id: '1', type: 'next', payload: expect.objectContaining({ errors }) });
      expect(complete).toEqual({ id: '1', type: 'complete' });
      expect(await client.barrier()).toEqual([]);
    },
  );

  it('sends error, and no complete after it, when a subscription stream fails; the socket stays open', async () => {
    const { client } = await watchingClient('s');
    await client.next();
    server?.app.services.runs.endAllWatches('Kaboom');
    expect(await client.next()).toEqual({
      id: 's',
      type: 'error',
      payload: [{ message: 'Kaboom', extensions: { code: 'UNAVAILABLE' } }],
    });
    expect(await client.barrier()).toEqual([]);
    expect(await client.within(100)).toEqual([]);
  });

  it('closes with 4409 on a duplicate operation id', async () => {
    const { client } = await watchingClient('not-unique');
    expect(await client.next()).toMatchObject({ id: 'not-unique', type: 'next' });
    client.send(subscribe('not-unique', '{ __typename }'));
    expect(await client.closed).toEqual(DUPLICATE_ID);
    await expect.poll(openWatches).toBe(0);
  });

  it('closes with 4409 on a duplicate operation id while the first is still starting', async () => {
    await startServer();
    const { domain, runId } = await startRun();
    const client = await connected();
    const watch = subscribe('not-unique', WATCH, { domain, runId });
    client.sendTogether(watch, watch);
    expect(await client.closed).toEqual(DUPLICATE_ID);
    await expect.poll(openWatches).toBe(0);
  });

  it('allows reusing an id once the server completed its operation', async () => {
    await startServer();
    const client = await connected();
    for (const round of [1, 2]) {
      client.send(subscribe('same', '{ __typename }'));
      expect(await client.take(2), `round ${round}`).toEqual([
        { id: 'same', type: 'next', payload: { data: { __typename: 'Query' } } },
        { id: 'same', type: 'complete' },
      ]);
    }
  });

  it('allows reusing an id once the client completed its operation', async () => {
    const { client, domain, runId } = await watchingClient('same');
    expect(await client.next()).toMatchObject({ id: 'same', type: 'next' });
    client.send({ id: 'same', type: 'complete' });
    client.send(subscribe('same', WATCH, { domain, runId }));
    expect(await client.next()).toMatchObject({
      id: 'same',
      type: 'next',
      payload: { data: { engagementUpdated: { status: 'PROCESSING' } } },
    });
    expect(client.isClosed).toBe(false);
  });

  it('runs many operations on one socket, each answered under its own id', async () => {
    await startServer();
    const runs = await Promise.all(['a.com', 'b.com', 'c.com'].map((d) => startRun(d)));
    const client = await connected();
    const ids: string[] = [];
    runs.forEach(({ domain, runId }, i) => {
      ids.push(`query-${i}`, `watch-${i}`);
      client.send(subscribe(`query-${i}`, RUN, { domain, runId }));
      client.send(subscribe(`watch-${i}`, WATCH, { domain, runId }));
    });
    client.send(subscribe('mutation', START, { domain: 'd.com' }));
    // Each watch's first state arrives; finishing its run then ends it.
    for (const [i, { runId }] of runs.entries()) {
      await expect.poll(() => client.received.some((m) => m.id === `watch-${i}`)).toBe(true);
      (await pipeline.started(runId)).finish();
    }
    const answers = await client.untilEnded([...ids, 'mutation']);
    runs.forEach(({ domain, runId }, i) => {
      expect(answers.get(`query-${i}`)).toEqual([
        {
          id: `query-${i}`,
          type: 'next',
          payload: { data: { engagement: { domain, runId, status: 'PROCESSING' } } },
        },
        { id: `query-${i}`, type: 'complete' },
      ]);
      const watch = answers.get(`watch-${i}`) ?? [];
      expect(watch.map((m) => m.type)).toEqual(['next', 'next', 'complete']);
      expect(watch[1]).toMatchObject({
        payload: { data: { engagementUpdated: { status: 'COMPLETE' } } },
      });
    });
    expect(answers.get('mutation')?.map((m) => m.type)).toEqual(['next', 'complete']);
  });
});

describe('complete from the client', () => {
  it('sends no further next once the client completes a subscription', async () => {
    const { client, domain, runId } = await watchingClient('stopped');
    client.send(subscribe('other', WATCH, { domain, runId }));
    expect((await client.take(2)).map((m) => m.id).sort()).toEqual(['other', 'stopped']);
    client.send({ id: 'stopped', type: 'complete' });
    await client.barrier();
    const run = await pipeline.started(runId);
    await run.report({ stage: 'fetching_meetings' });
    // The other subscriber of the same run gets the new state; the completed one does not.
    expect(await client.next()).toMatchObject({ id: 'other', type: 'next' });
    expect(await client.barrier()).toEqual([]);
  });

  it('does not answer the client complete with a complete', async () => {
    const { client } = await watchingClient('1');
    await client.next();
    client.send({ id: '1', type: 'complete' });
    expect(await client.barrier()).toEqual([]);
    expect(await client.within(100)).toEqual([]);
  });

  it('releases the run watch when the client completes its only subscriber', async () => {
    const { client } = await watchingClient('1');
    await client.next();
    expect(openWatches()).toBe(1);
    client.send({ id: '1', type: 'complete' });
    await expect.poll(openWatches).toBe(0);
  });

  it('sends nothing for a query the client completed before its result was ready', async () => {
    await startServer();
    const { domain, runId } = await startRun();
    const client = await connected();
    client.sendTogether(subscribe('1', RUN, { domain, runId }), { id: '1', type: 'complete' });
    client.sendTogether(subscribe('2', WATCH, { domain, runId }), { id: '2', type: 'complete' });
    expect(await client.within(100)).toEqual([]);
    expect(await client.barrier()).toEqual([]);
    expect(openWatches()).toBe(0);
  });

  it('ignores a complete for an unknown id or an operation that already ended', async () => {
    await startServer();
    const client = await connected();
    client.send(subscribe('done', '{ __typename }'));
    await client.take(2);
    client.send({ id: 'done', type: 'complete' });
    client.send({ id: 'never-subscribed', type: 'complete' });
    expect(await client.barrier()).toEqual([]);
  });
});

describe('closing the socket', () => {
  it('releases the watches of a socket that closes abruptly', async () => {
    await startServer();
    const { domain, runId } = await startRun();
    const other = await startRun('other.com');
    const client = await connected();
    client.send(subscribe('1', WATCH, { domain, runId }));
    client.send(subscribe('2', WATCH, other));
    await client.take(2);
    expect(openWatches()).toBe(2);
    client.socket.terminate();
    await expect.poll(openWatches).toBe(0);
  });

  it('releases a watch whose socket closes while the watch is starting', async () => {
    // On Redis a watch takes round trips to start, so the close arrives while it does.
    await startServer({}, 'redis');
    const { domain, runId } = await startRun();
    const leaving = await connected();
    leaving.send(subscribe('1', WATCH, { domain, runId }));
    leaving.socket.terminate();
    await leaving.closed;
    // Another watch of the run, with a document of its own (so not sharing the first one's),
    // starts after the first: once it has its first state, the first has been released.
    const staying = await connected();
    staying.send(subscribe('1', WATCH.replace('version', 'version domain'), { domain, runId }));
    await staying.next();
    expect(openWatches()).toBe(1);
  });
});
