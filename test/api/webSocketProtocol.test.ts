import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ENGAGEMENT_UPDATED, START } from '../../support/graphqlClients.ts';
import { ScriptedPipeline } from '../../support/scriptedPipeline.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';

/**
 * The `graphql-transport-ws` protocol as a graphql-ws client relies on it, spoken by hand so
 * that every rule is seen on the wire: the handshake, ping/pong, and the close codes.
 */
interface Message {
  type: string;
  id?: string;
  payload?: unknown;
}

let server: TestApp;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await server?.close();
});

function connect(protocols = ['graphql-transport-ws']) {
  const socket = new WebSocket(server.wsUrl, protocols);
  sockets.push(socket);
  const messages: Message[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as Message));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  const opened = new Promise<void>((resolve) => socket.once('open', () => resolve()));
  const send = (message: unknown) =>
    socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  const next = async (type: string, id?: string) => {
    await expect
      .poll(() => messages.some((m) => m.type === type && (id === undefined || m.id === id)))
      .toBe(true);
    return messages.find((m) => m.type === type && (id === undefined || m.id === id)) as Message;
  };
  const ready = async () => {
    await opened;
    send({ type: 'connection_init' });
    await next('connection_ack');
  };
  return { socket, messages, closed, opened, send, next, ready };
}

async function startRun(domain = 'acme.com'): Promise<string> {
  const response = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: START, variables: { domain } }),
  });
  const body = (await response.json()) as { data: { startEngagementSummary: { runId: string } } };
  return body.data.startEngagementSummary.runId;
}

describe('graphql-transport-ws', () => {
  it('acknowledges connection_init, answers ping with pong, and runs queries', async () => {
    server = await startTestApp('memory', {}, { pipeline: new ScriptedPipeline() });
    const client = connect();
    await client.ready();
    client.send({ type: 'ping', payload: { at: 1 } });
    expect(await client.next('pong')).toEqual({ type: 'pong', payload: { at: 1 } });

    client.send({ id: 'q', type: 'subscribe', payload: { query: '{ __typename }' } });
    expect(await client.next('next', 'q')).toEqual({
      id: 'q',
      type: 'next',
      payload: { data: { __typename: 'Query' } },
    });
    await client.next('complete', 'q');
  });

  it('closes with the protocol codes a graphql-ws client expects', async () => {
    server = await startTestApp('memory', {}, { pipeline: new ScriptedPipeline() });

    const noSubprotocol = connect([]);
    expect((await noSubprotocol.closed).code).toBe(4406);

    const early = connect();
    await early.opened;
    early.send({ id: '1', type: 'subscribe', payload: { query: '{ __typename }' } });
    expect(await early.closed).toEqual({ code: 4401, reason: 'Unauthorized' });

    const twice = connect();
    await twice.ready();
    twice.send({ type: 'connection_init' });
    expect((await twice.closed).code).toBe(4429);

    const garbage = connect();
    await garbage.ready();
    garbage.send('{"type":"subscribe","id":"1"}');
    expect(await garbage.closed).toEqual({ code: 4400, reason: 'Invalid message received' });

    const duplicate = connect();
    await duplicate.ready();
    const runId = await startRun();
    const watch = { query: ENGAGEMENT_UPDATED, variables: { domain: 'acme.com', runId } };
    duplicate.send({ id: 'same', type: 'subscribe', payload: watch });
    await duplicate.next('next', 'same');
    duplicate.send({ id: 'same', type: 'subscribe', payload: watch });
    expect(await duplicate.closed).toEqual({
      code: 4409,
      reason: 'Subscriber for same already exists',
    });
    await expect.poll(() => server.app.services.runs.openWatches).toBe(0);

    const silent = connect();
    await silent.opened;
    expect((await silent.closed).code).toBe(4408);
  });

  it('stops a watch the client completes, and releases the run when no one is left', async () => {
    server = await startTestApp('memory', {}, { pipeline: new ScriptedPipeline() });
    const runId = await startRun();
    const client = connect();
    await client.ready();
    client.send({
      id: 'w',
      type: 'subscribe',
      payload: { query: ENGAGEMENT_UPDATED, variables: { domain: 'acme.com', runId } },
    });
    await client.next('next', 'w');
    expect(server.app.services.runs.openWatches).toBe(1);
    client.send({ id: 'w', type: 'complete' });
    await expect.poll(() => server.app.services.runs.openWatches).toBe(0);
    // The id is free again once completed.
    client.send({
      id: 'w',
      type: 'subscribe',
      payload: { query: ENGAGEMENT_UPDATED, variables: { domain: 'acme.com', runId } },
    });
    await expect.poll(() => client.messages.filter((m) => m.type === 'next').length).toBe(2);
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
  });
});
