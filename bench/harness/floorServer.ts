/**
 * Child entry: the floor of the subscriptions-vs-polling benchmark. The least a server can do
 * to answer the same clients from the same Redis, with no GraphQL, no validation, no auth and
 * no limits: on `/graphql`,
 * - an HTTP POST (a poll) reads the run's record and returns it as `engagementStatus`;
 * - a WebSocket speaking just enough `graphql-transport-ws` for the graphql-ws client (ack,
 *   subscribe, complete, and the service's own 12 s ping sweep) subscribes to the run's
 *   channel, reads the record, and forwards every state as `engagementUpdated`, completing
 *   after a terminal one.
 * Each record is parsed and re-serialised once (its status spelled as the GraphQL enum), so
 * the floor does the least a GraphQL answer needs. Its CPU is what transport, Redis and the
 * kernel cost; everything the service spends above it is the service's own.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { type WebSocket, WebSocketServer } from 'ws';
import { GRAPHQL_TRANSPORT_WS } from '../../src/http/websocket/graphqlWsConnection.ts';
import { startKeepAliveSweep } from '../../src/http/websocket/keepAliveSweep.ts';
import { KeySpace } from '../../src/kv/keySpace.ts';
import { serveCalls } from './processes.ts';

const KEEPALIVE_MS = 12_000;
const keys = new KeySpace(process.env.KV_PREFIX ?? '');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const commands = new Redis(redisUrl, { connectionName: 'bench-floor' });
const subscriber = new Redis(redisUrl, { connectionName: 'bench-floor-subscriber' });

interface Watch {
  socket: WebSocket;
  id: string;
  channel: string;
  version: number;
}
const watchesByChannel = new Map<string, Set<Watch>>();

/** The record as GraphQL would spell it: the status as its enum value. */
function graphqlRun(recordJson: string): { json: string; terminal: boolean; version: number } {
  const record = JSON.parse(recordJson) as { status: string; version: number };
  const status = record.status.toUpperCase();
  return {
    json: JSON.stringify({ ...record, status }),
    terminal: status !== 'PROCESSING',
    version: record.version,
  };
}

function deliver(watch: Watch, recordJson: string): void {
  const run = graphqlRun(recordJson);
  if (run.version <= watch.version) return;
  watch.version = run.version;
  const next = `{"id":"${watch.id}","type":"next","payload":{"data":{"engagementUpdated":${run.json}}}}`;
  watch.socket.send(next);
  if (run.terminal) {
    watch.socket.send(`{"id":"${watch.id}","type":"complete"}`);
    stopWatch(watch);
  }
}

function stopWatch(watch: Watch): void {
  const watches = watchesByChannel.get(watch.channel);
  if (!watches?.delete(watch)) return;
  if (watches.size === 0) {
    watchesByChannel.delete(watch.channel);
    void subscriber.unsubscribe(watch.channel);
  }
}

subscriber.on('message', (channel: string, message: string) => {
  for (const watch of watchesByChannel.get(channel) ?? []) deliver(watch, message);
});

async function startWatch(watch: Watch, domain: string, runId: string): Promise<void> {
  let watches = watchesByChannel.get(watch.channel);
  if (!watches) {
    watches = new Set();
    watchesByChannel.set(watch.channel, watches);
    await subscriber.subscribe(watch.channel);
  }
  watches.add(watch);
  const snapshot = await commands.get(keys.run(domain, runId));
  if (snapshot) deliver(watch, snapshot);
}

function onSocket(socket: WebSocket): void {
  const watches = new Map<string, Watch>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as {
      type: string;
      id?: string;
      payload?: { variables?: { domain: string; runId: string } };
    };
    if (message.type === 'connection_init') {
      socket.send('{"type":"connection_ack"}');
    } else if (message.type === 'subscribe' && message.id && message.payload?.variables) {
      const { domain, runId } = message.payload.variables;
      const watch = { socket, id: message.id, channel: keys.runChannel(domain, runId), version: 0 };
      watches.set(message.id, watch);
      void startWatch(watch, domain, runId);
    } else if (message.type === 'complete' && message.id) {
      const watch = watches.get(message.id);
      watches.delete(message.id);
      if (watch) stopWatch(watch);
    }
  });
  socket.once('close', () => {
    for (const watch of watches.values()) stopWatch(watch);
  });
}

async function poll(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const { variables } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
    variables: { domain: string; runId: string };
  };
  const record = await commands.get(keys.run(variables.domain, variables.runId));
  const body = `{"data":{"engagementStatus":${record ? `[${graphqlRun(record).json}]` : '[]'}}}`;
  response.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

const server = createServer((request, response) => {
  poll(request, response).catch((error: unknown) => {
    // Printed into the child log, where a failed poll's 500 can be traced back.
    console.error(`floor poll failed: ${(error as Error).message}`);
    response.statusCode = 500;
    response.end();
  });
});
const wss = new WebSocketServer({
  server,
  path: '/graphql',
  handleProtocols: (protocols) =>
    protocols.has(GRAPHQL_TRANSPORT_WS) ? GRAPHQL_TRANSPORT_WS : false,
});
wss.on('connection', onSocket);
startKeepAliveSweep(wss, KEEPALIVE_MS);

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  serveCalls({}, { url: `http://127.0.0.1:${port}` });
});
process.once('SIGTERM', () => {
  for (const socket of wss.clients) socket.terminate();
  server.close(() => process.exit(0));
  commands.disconnect();
  subscriber.disconnect();
});
