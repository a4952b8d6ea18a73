import { type IncomingMessage, request } from 'node:http';
import WebSocket from 'ws';
import { GRAPHQL_TRANSPORT_WS } from '../src/http/websocket/graphqlWsConnection.ts';
import { ENGAGEMENT_UPDATED } from './graphqlClients.ts';

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

/**
 * What a streamed HTTP response has said so far: the versions of the states it carried and
 * whether it completed; `rest` is the text of a message not whole yet.
 */
interface StreamReading {
  rest: string;
  versions: number[];
  completed: boolean;
}

/** An SSE request read with node:http, paused after the first event. */
export function pausedSseClient(target: PausedClientTarget): Promise<PausedClient> {
  return pausedHttpStreamClient(target, 'text/event-stream', (text) => {
    const reading: StreamReading = { rest: text, versions: [], completed: false };
    for (let end = reading.rest.indexOf('\n\n'); end >= 0; end = reading.rest.indexOf('\n\n')) {
      const block = reading.rest.slice(0, end);
      reading.rest = reading.rest.slice(end + 2);
      if (block.startsWith('event: next')) {
        const data = block.slice(block.indexOf('data: ') + 'data: '.length);
        reading.versions.push(JSON.parse(data).data.engagementUpdated.version);
      } else if (block.startsWith('event: complete')) {
        reading.completed = true;
      }
    }
    return reading;
  });
}

/** A multipart subscription (Apollo's protocol) read with node:http, paused after the first part. */
export function pausedMultipartClient(target: PausedClientTarget): Promise<PausedClient> {
  const delimiter = '\r\n--graphql';
  const accept = 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json';
  return pausedHttpStreamClient(target, accept, (text) => {
    const reading: StreamReading = { rest: text, versions: [], completed: false };
    for (let end = text.indexOf(delimiter); end >= 0; end = reading.rest.indexOf(delimiter)) {
      const part = reading.rest.slice(0, end);
      reading.rest = reading.rest.slice(end + delimiter.length);
      const headersEnd = part.indexOf('\r\n\r\n');
      const payload = headersEnd >= 0 ? JSON.parse(part.slice(headersEnd + 4)).payload : null;
      if (payload) reading.versions.push(payload.data.engagementUpdated.version);
    }
    reading.completed = reading.rest.startsWith('--');
    return reading;
  });
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
        versions.push(...reading.versions);
        completed ||= reading.completed;
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
