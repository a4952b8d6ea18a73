import { type IncomingMessage, request } from 'node:http';
import WebSocket from 'ws';
import { GRAPHQL_TRANSPORT_WS } from '../src/http/websocket/graphqlWsConnection.ts';
import { ENGAGEMENT_UPDATED } from './graphqlClients.ts';
import {
  MULTIPART_ACCEPT,
  readMultipartParts,
  readSseEvents,
  SSE_ACCEPT,
  type StreamReading,
} from './streamReaders.ts';

/** How a paused client's stream ended. */
export interface PausedClientEnd {
  /** The server completed the subscription. */
  completed: boolean;
  /** WebSocket only: the close code and reason the client saw. */
  closeCode?: number;
  closeReason?: string;
}

/**
 * A client that subscribes to a run with `engagementUpdated`, takes the first state, then
 * stops reading its socket, as a client on a stalled network or a frozen tab does.
 */
export interface PausedClient {
  /** The versions it has received so far. */
  versions: number[];
  /** Resolves when the stream ends: completed by the server, or closed or cut. */
  ended: Promise<PausedClientEnd>;
  /** Reads the socket again. */
  resume(): void;
  /** Drops the connection from the client's side. */
  close(): void;
}

export interface PausedClientTarget {
  wsUrl: string;
  graphqlUrl: string;
  domain: string;
  runId: string;
  /** A document that selects `engagementUpdated { version }`; ENGAGEMENT_UPDATED by default. */
  query?: string;
}

/** graphql-transport-ws spoken by hand over a `ws` socket, paused after the first `next`. */
export async function pausedWebSocketClient(target: PausedClientTarget): Promise<PausedClient> {
  const socket = new WebSocket(target.wsUrl, GRAPHQL_TRANSPORT_WS);
  const versions: number[] = [];
  let completed = false;
  const ended = new Promise<PausedClientEnd>((resolve) => {
    socket.on('close', (code, reason) =>
      resolve({ completed, closeCode: code, closeReason: String(reason) }),
    );
    socket.on('message', (data) => {
      if (JSON.parse(String(data)).type !== 'complete') return;
      completed = true;
      resolve({ completed });
    });
  });
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'connection_ack') {
        const variables = { domain: target.domain, runId: target.runId };
        const payload = { query: target.query ?? ENGAGEMENT_UPDATED, variables };
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload }));
      } else if (message.type === 'next') {
        versions.push(message.payload.data.engagementUpdated.version);
        if (versions.length === 1) {
          socket.pause();
          resolve();
        }
      }
    });
  });
  return {
    versions,
    ended,
    resume: () => socket.resume(),
    close: () => socket.terminate(),
  };
}

/** An SSE request read with node:http, paused after the first event. */
export function pausedSseClient(target: PausedClientTarget): Promise<PausedClient> {
  return pausedHttpStreamClient(target, SSE_ACCEPT, readSseEvents);
}

/** A multipart subscription (Apollo's protocol) read with node:http, paused after the first part. */
export function pausedMultipartClient(target: PausedClientTarget): Promise<PausedClient> {
  return pausedHttpStreamClient(target, MULTIPART_ACCEPT, readMultipartParts);
}

/** A subscription POSTed with `accept`, its body read by `read`, paused after the first state. */
async function pausedHttpStreamClient(
  target: PausedClientTarget,
  accept: string,
  read: (text: string) => StreamReading,
): Promise<PausedClient> {
  const versions: number[] = [];
  let text = '';
  let completed = false;
  let settle: (end: PausedClientEnd) => void = () => {};
  const ended = new Promise<PausedClientEnd>((resolve) => (settle = resolve));
  const req = request(target.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept },
  });
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res: IncomingMessage) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const reading = read(text + chunk);
        text = reading.rest;
        for (const result of reading.results) versions.push(versionOf(result));
        completed ||= reading.complete;
        if (versions.length === 1 && !res.isPaused()) {
          res.pause();
          resolve(res);
        }
      });
      // The server cutting a stalled client off is what these tests look for: the 'close'
      // below records it, and an unheard 'error' would end the test process.
      res.on('error', () => {});
      res.on('close', () => settle({ completed: completed && res.complete }));
    });
    const variables = { domain: target.domain, runId: target.runId };
    req.end(JSON.stringify({ query: target.query ?? ENGAGEMENT_UPDATED, variables }));
  });
  return {
    versions,
    ended,
    resume: () => response.resume(),
    close: () => req.destroy(),
  };
}

/** The run version an `engagementUpdated` result carries. */
function versionOf(result: unknown): number {
  return (result as { data: { engagementUpdated: { version: number } } }).data.engagementUpdated
    .version;
}
