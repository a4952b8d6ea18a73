import { readFileSync } from 'node:fs';
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { parse, print } from 'graphql';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  EngagementsUpdatedDocument,
  EngagementUpdatedDocument,
  StartEngagementSummaryDocument,
} from '../src/generated/graphql.ts';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/**
 * How a request names its document: its text, or (trusted documents) its hash, as
 * `documentId` or as Apollo's `extensions.persistedQuery.sha256Hash`.
 */
export type DocumentRef =
  | string
  | { documentId: string }
  | { extensions: { persistedQuery: { version: 1; sha256Hash: string } } };

/** The hash a reference names, or undefined when it carries the document's text. */
function hashOf(document: DocumentRef): string | undefined {
  if (typeof document === 'string') return undefined;
  return 'documentId' in document
    ? document.documentId
    : document.extensions.persistedQuery.sha256Hash;
}

let manifest: Record<string, string> | undefined;

/** persisted-documents.json, as `npm run codegen` writes it: hash -> document text (read once). */
function persistedDocuments(): Record<string, string> {
  manifest ??= JSON.parse(
    readFileSync(new URL('../persisted-documents.json', import.meta.url), 'utf8'),
  ) as Record<string, string>;
  return manifest;
}

/** The request body fields that name the document. */
function documentFields(document: DocumentRef): {
  query?: string;
  documentId?: string;
  extensions?: Record<string, unknown>;
} {
  return typeof document === 'string' ? { query: document } : document;
}

/** One GraphQL operation over plain HTTP POST. */
export async function graphqlRequest<T = Record<string, unknown>>(
  url: string,
  query: DocumentRef,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ ...documentFields(query), variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<T>, 'status'>;
  return { status: response.status, ...body };
}

/**
 * How a subscription reaches the service: WebSocket (graphql-ws), Server-Sent Events
 * (graphql-sse), or multipart HTTP (Apollo Client's plain HttpLink).
 */
export type Transport = 'ws' | 'sse' | 'multipart';
export const TRANSPORTS: Transport[] = ['ws', 'sse', 'multipart'];

/** What a subscriber saw: every `next` payload, then how the stream ended. */
export interface Subscription<T> {
  events: T[];
  errors: unknown[];
  /** Resolves when the server completes the stream or it errors. */
  ended: Promise<'complete' | 'error'>;
  /** Resolves once `count` events have arrived. */
  waitFor(count: number): Promise<void>;
  unsubscribe(): void;
  dispose(): Promise<void>;
}

export interface SubscribeOptions {
  transport: Transport;
  graphqlUrl: string;
  wsUrl: string;
  token?: string;
}

/**
 * Subscribes with the real graphql-ws, graphql-sse or Apollo Client (HttpLink only) client,
 * as a browser app would.
 */
export function subscribe<T = Record<string, unknown>>(
  options: SubscribeOptions,
  query: DocumentRef,
  variables: Record<string, unknown>,
): Subscription<T> {
  // Both protocols type `query` as a string: `""` beside a hash, as urql sends it.
  const payload = { query: '', ...documentFields(query), variables };
  const events: T[] = [];
  const errors: unknown[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let settle: (how: 'complete' | 'error') => void = () => {};
  const ended = new Promise<'complete' | 'error'>((resolve) => (settle = resolve));
  const authHeader = options.token ? { Authorization: `Bearer ${options.token}` } : undefined;

  let disposeClient: () => Promise<void>;
  const sink = {
    next: (value: { data?: unknown; errors?: unknown[] }) => {
      if (value.errors) errors.push(...value.errors);
      if (value.data) events.push(value.data as T);
      else if (!value.errors) events.push(value as T);
      for (const waiter of [...waiters]) {
        if (events.length + errors.length >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    },
    error: (error: unknown) => {
      // graphql-sse reports a refused request as a NetworkError holding the Response.
      const response = (error as { response?: { status?: number } }).response;
      errors.push(response?.status ? { httpStatus: response.status } : error);
      settle('error');
    },
    complete: () => settle('complete'),
  };

  let unsubscribe: () => void;
  if (options.transport === 'ws') {
    const client: WsClient = createWsClient({
      url: options.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: authHeader,
      onNonLazyError: () => {},
      on: {
        closed: (event) => {
          const code = (event as { code?: number }).code;
          if (code !== undefined && code !== 1000) sink.error({ closeCode: code });
        },
      },
    });
    unsubscribe = client.subscribe(payload, sink as never);
    disposeClient = async () => client.dispose();
  } else if (options.transport === 'sse') {
    const client = createSseClient({
      url: options.graphqlUrl,
      retryAttempts: 0,
      headers: authHeader,
    });
    unsubscribe = client.subscribe(payload, sink as never);
    disposeClient = async () => client.dispose();
  } else {
    const apollo = apolloHttpSubscription(options.graphqlUrl, query, variables, authHeader, sink);
    unsubscribe = apollo.unsubscribe;
    disposeClient = async () => apollo.unsubscribe();
  }

  return {
    events,
    errors,
    ended,
    waitFor(count) {
      if (events.length + errors.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    unsubscribe: () => unsubscribe(),
    dispose: () => disposeClient(),
  };
}

/**
 * A subscription through Apollo Client 4 with nothing but its HttpLink, which sends it as
 * multipart HTTP. Apollo reports a failure as a result with `error` set, then completes:
 * GraphQL errors are handed on as the server sent them; any other failure (a refused
 * request, a cut stream) ends it as an error, with the HTTP status when there was one.
 */
export function apolloHttpSubscription(
  url: string,
  query: DocumentRef,
  variables: Record<string, unknown>,
  headers: Record<string, string> | undefined,
  sink: {
    next(value: { data?: unknown; errors?: unknown[] }): void;
    error(error: unknown): void;
    complete(): void;
  },
): { unsubscribe(): void } {
  let status = 0;
  const http = new HttpLink({
    uri: url,
    headers,
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      status = response.status;
      return response;
    },
  });
  // Named by hash, Apollo's persisted-query link sends only the hash, and never the text
  // again after a refusal; Apollo still needs a document to know what it sends, and one the
  // manifest does not know can be any subscription.
  const hash = hashOf(query);
  const text =
    hash === undefined
      ? (query as string)
      : (persistedDocuments()[hash] ?? 'subscription Unknown { __typename }');
  const link =
    hash === undefined
      ? http
      : createPersistedQueryLink({ generateHash: () => hash, retry: () => false }).concat(http);
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  let failed = false;
  const subscription = client
    .subscribe({ query: parse(text), variables, fetchPolicy: 'no-cache' })
    .subscribe({
      next: ({ data, error }) => {
        if (!error) return sink.next({ data });
        const graphqlErrors = CombinedGraphQLErrors.is(error)
          ? error.errors
          : (error as { errors?: unknown[] }).errors;
        if (graphqlErrors) sink.next({ errors: [...graphqlErrors] });
        if (status >= 400 || !CombinedGraphQLErrors.is(error)) {
          failed = true;
          sink.error(status >= 400 ? { response: { status } } : error);
        }
      },
      error: (error) => {
        failed = true;
        sink.error(error);
      },
      complete: () => {
        if (!failed) sink.complete();
      },
    });
  return {
    unsubscribe: () => {
      subscription.unsubscribe();
      client.stop();
    },
  };
}

/**
 * The documents of src/operations (through codegen), as the text a client sends: the
 * operations are written once, there.
 */
export const ENGAGEMENT_UPDATED = print(EngagementUpdatedDocument);
export const START = print(StartEngagementSummaryDocument);
export const ENGAGEMENTS_UPDATED = print(EngagementsUpdatedDocument);
