import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type Client, createClient, type SubscribePayload } from 'graphql-ws';
import { documentIdOf } from '../../generated/graphql.ts';

/**
 * The page's one GraphQL connection: every operation (start, watch, list) goes over a
 * graphql-ws WebSocket, so the page never polls, and names its document by hash. This module turns the protocol's three
 * ways of failing (GraphQL errors, a socket closed for auth, a socket that never connects)
 * into one error type the UI can explain to a person.
 */

export type ConnectionState = 'connecting' | 'connected' | 'offline' | 'unauthorized';

/** `cancelled`: the client was replaced (new token) while the operation was in flight. */
export type OperationErrorKind = 'graphql' | 'unauthorized' | 'unreachable' | 'cancelled';

export class OperationError extends Error {
  override name = 'OperationError';
  constructor(
    readonly kind: OperationErrorKind,
    message: string,
    /** `extensions.code` of the first GraphQL error, e.g. BAD_USER_INPUT. */
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface WatchHandlers<T> {
  next(data: T): void;
  error(error: OperationError): void;
  /** The server ended the stream (for a run: right after its terminal state). */
  complete(): void;
}

export interface LiveClient {
  request<TData, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
  ): Promise<TData>;
  /** Subscribes; returns the function that unsubscribes. */
  watch<TData, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    handlers: WatchHandlers<TData>,
  ): () => void;
  dispose(): void;
}

/** Close codes the server uses for a missing or wrong token (graphql-ws: 4403 Forbidden). */
const AUTH_CLOSE_CODES = new Set([4401, 4403]);

/**
 * An operation as the page sends it: by its hash alone (the server may run only its trusted
 * documents), with `query: ""` beside it since graphql-ws types `query` as a string.
 */
function payloadOf(
  document: TypedDocumentNode<unknown, never>,
  variables: Record<string, unknown>,
): SubscribePayload & { documentId: string } {
  return { query: '', documentId: documentIdOf(document), variables };
}

interface GraphQLErrorLike {
  message: string;
  extensions?: { code?: unknown };
}

function closeCodeOf(value: unknown): number | undefined {
  if (typeof value === 'object' && value !== null && 'code' in value) {
    const { code } = value as { code: unknown };
    if (typeof code === 'number') return code;
  }
  return undefined;
}

function fromGraphQLErrors(errors: readonly GraphQLErrorLike[]): OperationError {
  const first = errors[0];
  const code = typeof first?.extensions?.code === 'string' ? first.extensions.code : undefined;
  if (code === 'UNAUTHENTICATED') {
    return new OperationError('unauthorized', 'The server needs a valid access token', code);
  }
  return new OperationError('graphql', first?.message ?? 'The request failed.', code);
}

/** Whatever graphql-ws hands to `sink.error`, as an OperationError. */
function toOperationError(reason: unknown): OperationError {
  if (reason instanceof OperationError) return reason;
  if (Array.isArray(reason)) return fromGraphQLErrors(reason as GraphQLErrorLike[]);
  const code = closeCodeOf(reason);
  if (code !== undefined && AUTH_CLOSE_CODES.has(code)) {
    return new OperationError('unauthorized', 'The server needs a valid access token');
  }
  // A socket error event, an abnormal close (1006) or retries used up: no server to talk to.
  return new OperationError(
    'unreachable',
    'The server cannot be reached. Check that it is running, then try again.',
  );
}

export interface LiveClientOptions {
  /** `ws(s)://host/graphql`; defaults to the page's own origin. */
  url?: string;
  token: string;
  onStateChange(state: ConnectionState): void;
}

export function graphqlUrlFor(location: Location): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/graphql`;
}

export function createLiveClient(options: LiveClientOptions): LiveClient {
  const token = options.token.trim();
  let disposed = false;
  // Requests still waiting when the client is replaced must settle, or their callers hang.
  const pending = new Set<(error: OperationError) => void>();
  // After dispose the old socket's close would still be reported; the page has moved on.
  const report = (state: ConnectionState) => {
    if (!disposed) options.onStateChange(state);
  };

  const client: Client = createClient({
    url: options.url ?? graphqlUrlFor(window.location),
    connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
    // Connect at once, so the page can say "connected" or "needs a token" before any click.
    lazy: false,
    onNonLazyError: () => {},
    // A few quick retries ride out a restart; a person should not wait half a minute to
    // learn that the server is down (the library default backs off up to 32 s).
    retryAttempts: 3,
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, 500 * 2 ** retries)),
    // A wrong token stays wrong: retrying 4403 (graphql-ws would) only delays the message.
    shouldRetry: (reason) => {
      const code = closeCodeOf(reason);
      return code !== undefined && !AUTH_CLOSE_CODES.has(code);
    },
    keepAlive: 15_000,
    on: {
      connecting: () => report('connecting'),
      connected: () => report('connected'),
      closed: (event) => {
        const code = closeCodeOf(event);
        if (code !== undefined && AUTH_CLOSE_CODES.has(code)) report('unauthorized');
        else if (code !== 1000) report('offline');
      },
    },
  });

  const watch: LiveClient['watch'] = (document, variables, handlers) => {
    let finished = false;
    const unsubscribe = client.subscribe<Record<string, unknown>>(
      payloadOf(document as TypedDocumentNode<unknown, never>, variables),
      {
        next: (result) => {
          if (finished || disposed) return;
          if (result.errors?.length) {
            // A failed operation still arrives as `next`; it is the end of this stream.
            finished = true;
            handlers.error(fromGraphQLErrors(result.errors));
            return;
          }
          if (result.data) handlers.next(result.data as never);
        },
        error: (reason) => {
          if (finished || disposed) return;
          finished = true;
          handlers.error(toOperationError(reason));
        },
        complete: () => {
          if (finished || disposed) return;
          finished = true;
          handlers.complete();
        },
      },
    );
    return () => {
      finished = true;
      unsubscribe();
    };
  };

  return {
    watch,
    request(document, variables) {
      return new Promise((resolve, reject) => {
        let answered = false;
        pending.add(reject);
        watch(document, variables, {
          next: (data) => {
            answered = true;
            pending.delete(reject);
            resolve(data);
          },
          error: (error) => {
            pending.delete(reject);
            reject(error);
          },
          complete: () => {
            pending.delete(reject);
            if (!answered) reject(toOperationError(undefined));
          },
        });
      });
    },
    dispose() {
      disposed = true;
      for (const reject of pending) {
        reject(new OperationError('cancelled', 'The connection was replaced.'));
      }
      pending.clear();
      void client.dispose();
    },
  };
}
