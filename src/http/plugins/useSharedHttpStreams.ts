import type { IncomingMessage } from 'node:http';
import { type GraphQLSchema, getOperationAST, parse } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Tracing } from '../../tracing/tracing.ts';
import { IteratedSubscriber } from '../iteratedSubscriber.ts';
import type {
  OpenedSubscription,
  SharedOperation,
  SharedSubscriptions,
} from '../sharedSubscriptions.ts';
import { askedStreamedForm } from '../streamingAccept.ts';
import type { ServerContext } from '../yoga.ts';
import { GRAPHQL_LIMITS } from './useHardening.ts';

/** Documents whose shareability is remembered; past it the memory starts again. */
const REMEMBERED_DOCUMENTS = 200;

export interface SharedHttpStreamsOptions {
  streams: SharedSubscriptions;
  /**
   * Resolves if the request's credentials are accepted, rejects if not; logs nothing (a
   * refused request is then answered, and logged, by Yoga as any other).
   */
  admit(request: Request, req: IncomingMessage | undefined): Promise<unknown>;
  /** Told of each request that joins a stream (the opener's span is envelop's). */
  tracing: Tracing;
}

/** What is known of a document: whether it streams a shared-stream field, and its name. */
interface SharedDocument {
  shareable: boolean;
  operationName: string | undefined;
}

const NOT_SHAREABLE: SharedDocument = { shareable: false, operationName: undefined };

/**
 * Identical subscriptions streamed over HTTP (SSE and multipart) to a shared-stream field
 * (`engagementUpdated`) share one execution per process (SharedSubscriptions, as WebSocket
 * operations do). The first request of an operation runs through Yoga as any other (its
 * context, so its token, its document's validation, envelop's subscribe, error masking):
 * what it gets is the stream everyone shares. A request that joins it skips all of that
 * once its own token is accepted: it holds its response and its entry in the stream, and
 * gets the current state at once. A request whose token is refused, or that waited on a
 * stream that did not open, is handed to Yoga on its own, which answers it (and logs it)
 * as any other.
 *
 * Placed after useTrustedDocuments: the document it compares is the text that runs.
 */
export function useSharedHttpStreams(options: SharedHttpStreamsOptions): Plugin {
  const { streams } = options;
  let schema: GraphQLSchema | null = null;
  const documents = new Map<string, SharedDocument>();

  /** Whether the operation streams a shared-stream field; parsed once per document text. */
  const documentOf = (query: string, operationName: string | undefined): SharedDocument => {
    const key = `${operationName ?? ''}\u0000${query}`;
    let known = documents.get(key);
    if (known === undefined) {
      if (!schema) return NOT_SHAREABLE;
      known = NOT_SHAREABLE;
      try {
        const operation = getOperationAST(
          parse(query, { maxTokens: GRAPHQL_LIMITS.maxTokens }),
          operationName,
        );
        known = {
          shareable: streams.shareable(schema, operation),
          operationName: operation?.name?.value,
        };
      } catch {
        // Not a document Yoga will run: Yoga answers it.
      }
      if (documents.size >= REMEMBERED_DOCUMENTS) documents.clear();
      documents.set(key, known);
    }
    return known;
  };

  return {
    onSchemaChange({ schema: changed }) {
      schema = changed;
      documents.clear();
    },
    onParams({ request, paramsHandler, setParamsHandler, context }) {
      const transport = askedStreamedForm(request.headers.get('accept'));
      if (!transport) return;
      setParamsHandler((payload) => {
        const { params } = payload;
        const document = params.query ? documentOf(params.query, params.operationName) : null;
        if (!params.query || !document?.shareable) return paramsHandler(payload);
        const operation: SharedOperation = {
          document: params.query,
          operationName: params.operationName,
          variables: params.variables,
        };
        const open = async () => (await paramsHandler(payload)) as OpenedSubscription;
        const serve = () => {
          const subscriber = new IteratedSubscriber(transport);
          streams.serve(subscriber, operation, open);
          return subscriber.opened;
        };
        // The opener is authenticated by Yoga, as its context is built; a joiner here.
        if (!streams.serving(operation)) return serve();
        // Yoga's plugins are typed without the server context; node:http hands it this one.
        const { req } = context as ServerContext;
        return options.admit(request, req).then(() => {
          // The stream may have ended while the token was checked: then this one opens it,
          // and envelop traces it as any other.
          if (!streams.serving(operation)) return serve();
          options.tracing.subscriptionJoined({
            operationName: document.operationName,
            transport,
            headers: traceHeadersOf(request),
          });
          return serve();
        }, open);
      });
    },
  };
}

/** The W3C trace-context headers of a request, and nothing else of them. */
function traceHeadersOf(request: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of ['traceparent', 'tracestate']) {
    const value = request.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return headers;
}
