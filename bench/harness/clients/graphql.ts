import { request } from 'node:http';
import type { Socket } from 'node:net';
import { print } from 'graphql';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  EngagementStatusDocument,
  EngagementsDocument,
  EngagementUpdatedDocument,
  StartRunDocument,
} from '../../../src/generated/graphql.ts';
import { apolloHttpSubscription, type Transport } from '../../../support/graphqlClients.ts';
import {
  MULTIPART_ACCEPT,
  readMultipartParts,
  readSseEvents,
  SSE_ACCEPT,
  type StreamReading,
} from '../../../support/streamReaders.ts';

/**
 * The operations the benchmarks send, from src/operations (through codegen): every field a
 * live UI renders, and a start that answers only the run's id and status.
 */
export const WATCH_QUERY = print(EngagementUpdatedDocument);
export const STATUS_QUERY = print(EngagementStatusDocument);
export const LIST_QUERY = print(EngagementsDocument);
export const START_MUTATION = print(StartRunDocument);

/** A transport, each read by its real client library (graphql-ws, graphql-sse, Apollo Client). */
export type { Transport };

/**
 * A minimal node:http reader of one of the HTTP protocols, in place of its client library:
 * it isolates the server's cost from the library's, and never stands for the library.
 */
export type StreamReader = 'sse_reader' | 'multipart_reader';

/** What reads a subscription: a transport's client library, or a minimal reader. */
export type SubscriberClient = Transport | StreamReader;

export interface RunEvent {
  version: number;
  status: string;
}

export interface SubscriptionTarget {
  graphqlUrl: string;
  wsUrl: string;
  /** Bearer token, when the service runs with auth on. */
  token?: string;
}

export interface RunEventSink {
  next(event: RunEvent): void;
  error(error: unknown): void;
  complete(): void;
}

/**
 * Watches one run, one connection per subscriber, as a browser would: with the real
 * graphql-ws client over WebSocket, graphql-sse over SSE (distinct connections mode), Apollo
 * Client's HttpLink over multipart HTTP, or a minimal SSE or multipart reader. `sink.next` is
 * called when the client hands the event to the app. Returns a function that ends it and
 * closes the connection.
 */
export function watchRun(
  client: SubscriberClient,
  target: SubscriptionTarget,
  variables: { domain: string; runId: string },
  sink: RunEventSink,
  webSocketImpl: typeof WebSocket = WebSocket,
): () => void {
  const auth = target.token ? { Authorization: `Bearer ${target.token}` } : undefined;
  const payload = { query: WATCH_QUERY, variables };
  switch (client) {
    case 'ws':
      return watchOverWebSocket(target, variables, sink, webSocketImpl);
    case 'sse': {
      const sse = createSseClient({ url: target.graphqlUrl, retryAttempts: 0, headers: auth });
      const unsubscribe = sse.subscribe(payload, graphqlSink(sink) as never);
      return () => {
        unsubscribe();
        sse.dispose();
      };
    }
    case 'multipart':
      return apolloHttpSubscription(
        target.graphqlUrl,
        WATCH_QUERY,
        variables,
        auth,
        graphqlSink(sink) as never,
      ).unsubscribe;
    case 'sse_reader':
      return watchOverSse(target.graphqlUrl, payload, graphqlSink(sink), target.token);
    case 'multipart_reader':
      return watchOverMultipart(target.graphqlUrl, payload, graphqlSink(sink), target.token);
  }
}

function watchOverWebSocket(
  target: SubscriptionTarget,
  variables: { domain: string; runId: string },
  sink: RunEventSink,
  webSocketImpl: typeof WebSocket,
): () => void {
  // A close code and the error graphql-ws reports for it are one failure, told once.
  let failed = false;
  const once: RunEventSink = {
    next: (event) => sink.next(event),
    error(error) {
      if (failed) return;
      failed = true;
      sink.error(error);
    },
    complete: () => sink.complete(),
  };
  const client = runWatchClient(target.wsUrl, once.error, webSocketImpl, target.token);
  const unsubscribe = watchRunOn(client, variables, once);
  // Leave as a browser tab would: `complete` first, then the lazy client closes the socket
  // once it has no subscription left (dispose afterwards only makes sure).
  return () => {
    unsubscribe();
    setTimeout(() => void client.dispose(), 100);
  };
}

/**
 * A graphql-ws client as a front end holds it: lazy (its WebSocket opens with the first
 * subscription and closes after the last), carrying every run it watches.
 */
export function runWatchClient(
  wsUrl: string,
  onAbnormalClose: (error: unknown) => void,
  webSocketImpl: typeof WebSocket = WebSocket,
  token?: string,
): WsClient {
  return createWsClient({
    url: wsUrl,
    webSocketImpl,
    ...(token ? { connectionParams: { Authorization: `Bearer ${token}` } } : {}),
    lazy: true,
    retryAttempts: 0,
    on: {
      closed: (event) => {
        const code = (event as { code?: number }).code;
        if (code !== undefined && code !== 1000) onAbnormalClose({ closeCode: code });
      },
    },
  });
}

/** Subscribes to one run on `client`; returns the function that completes it. */
export function watchRunOn(
  client: WsClient,
  variables: { domain: string; runId: string },
  sink: RunEventSink,
): () => void {
  return client.subscribe({ query: WATCH_QUERY, variables }, graphqlSink(sink) as never);
}

/** GraphQL results in, run events out; the first error (or empty result) ends it. */
function graphqlSink(sink: RunEventSink) {
  let failed = false;
  return {
    next(result: { data?: { engagementUpdated?: RunEvent } | null; errors?: unknown }) {
      const run = result.data?.engagementUpdated;
      if (run) sink.next(run);
      else if (!failed) {
        failed = true;
        sink.error(result.errors ?? result);
      }
    },
    error(error: unknown) {
      if (failed) return;
      failed = true;
      sink.error(error);
    },
    complete: () => sink.complete(),
  };
}

/**
 * The `sse_reader`: GraphQL over SSE ("distinct connections": one POST with `Accept:
 * text/event-stream` per subscription), parsed as a browser's EventSource would: events
 * split on blank lines, the `data:` of each `next` event parsed as JSON. On node:http, with
 * none of the fetch/web-streams work of the graphql-sse client: a diagnostic that isolates
 * the server's cost.
 */
function watchOverSse(
  url: string,
  payload: { query: string; variables: Record<string, unknown> },
  sink: StreamSink,
  token?: string,
): () => void {
  return streamedPost(url, payload, SSE_ACCEPT, token, sink, readSseEvents);
}

/**
 * The `multipart_reader`: Apollo's multipart subscription protocol (`subscriptionSpec=1.0`,
 * what Apollo Client's HttpLink asks for), read as Apollo Client reads it: a part is whole
 * when the delimiter after it has arrived; `{}` parts are heartbeats; `{"payload": ...}`
 * parts are results; `--` after a delimiter closes the stream. A diagnostic like the SSE
 * reader: none of Apollo Client's own work.
 */
function watchOverMultipart(
  url: string,
  payload: { query: string; variables: Record<string, unknown> },
  sink: StreamSink,
  token?: string,
): () => void {
  return streamedPost(url, payload, MULTIPART_ACCEPT, token, sink, readMultipartParts);
}

interface StreamSink {
  next(result: unknown): void;
  error(error: unknown): void;
  complete(): void;
}

/**
 * A subscription POSTed with `accept` on node:http, its body handed to `read` as text; `read`
 * returns what it has not consumed yet and whether the stream completed.
 */
function streamedPost(
  url: string,
  payload: { query: string; variables: Record<string, unknown> },
  accept: string,
  token: string | undefined,
  sink: StreamSink,
  read: (text: string) => StreamReading,
): () => void {
  const body = Buffer.from(JSON.stringify(payload));
  let done = false;
  const req = request(url, {
    method: 'POST',
    agent: false,
    headers: {
      'content-type': 'application/json',
      accept,
      'content-length': body.length,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
  });
  req.on('response', (res) => {
    if (res.statusCode !== 200) {
      done = true;
      sink.error({ httpStatus: res.statusCode });
      res.resume();
      return;
    }
    res.setEncoding('utf8');
    let buffered = '';
    res.on('data', (chunk: string) => {
      const { results, rest, complete } = read(buffered + chunk);
      buffered = rest;
      for (const result of results) sink.next(result);
      if (complete && !done) {
        done = true;
        sink.complete();
      }
    });
    res.on('end', () => {
      if (!done) {
        done = true;
        sink.error(new Error('stream ended without completing'));
      }
    });
  });
  req.on('error', (error) => {
    if (!done) {
      done = true;
      sink.error(error);
    }
  });
  req.end(body);
  return () => {
    done = true;
    req.destroy();
  };
}

/** A `ws` WebSocket that hands its TCP socket to `onSocket`, for counting bytes. */
export function countingWebSocket(onSocket: (socket: Socket) => void): typeof WebSocket {
  // graphql-ws constructs it as `new WebSocketImpl(url, subprotocol)`.
  class CountingWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols);
      this.once('upgrade', (response) => onSocket(response.socket as Socket));
    }
  }
  return CountingWebSocket as unknown as typeof WebSocket;
}

export function isTerminalStatus(status: string): boolean {
  return status === 'COMPLETE' || status === 'ERROR';
}
