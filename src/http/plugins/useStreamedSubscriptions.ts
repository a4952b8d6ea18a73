import type { IncomingMessage } from 'node:http';
import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { MultipartFraming } from '../multipartFraming.ts';
import type { SerialisedResults } from '../serialisedResults.ts';
import { SseFraming } from '../sseFraming.ts';
import { type ResultFraming, streamedResponseBody } from '../streamedResponse.ts';
import { askedStreamedForm } from '../streamingAccept.ts';
import type { UnsentDataLimit } from '../unsentDataLimit.ts';
import type { ServerContext } from '../yoga.ts';

export interface StreamedSubscriptionsOptions {
  serialisedResults: SerialisedResults;
  limit: UnsentDataLimit;
  clientAddress: (req: IncomingMessage) => string;
  /** The longest a stream stays silent: a heartbeat goes out past it (≤ 10 s). */
  heartbeatMs: number;
}

/**
 * Writes every subscription streamed over HTTP, in the form the request's `Accept` asks for:
 *
 * - `text/event-stream`: GraphQL over SSE, as Yoga's own processor writes it.
 * - `multipart/mixed;subscriptionSpec=1.0`: Apollo's multipart protocol, as Apollo Client's
 *   HttpLink asks for every subscription. Yoga 5 answers subscriptions only as SSE (its
 *   multipart processor is incremental delivery, without heartbeats or the `payload`
 *   envelope, and is not offered for subscriptions: they get 406).
 *
 * Both share the once-per-state work: a state is executed once per distinct operation
 * (useSharedSubscriptionExecution), serialised once (SerialisedResults, shared with the
 * WebSocket transport) and framed once per form; each response only queues the framed
 * bytes, where Yoga's SSE processor serialised and encoded every event for every response.
 * Any subscription field is served this way.
 *
 * An operation refused before its stream starts (no token, an unknown run, bad arguments)
 * has one result, not a stream: it is left to Yoga's answer with its usual status (JSON, or
 * an SSE `next` then `complete`) when the client accepts one; a multipart client that
 * accepts nothing else gets it as the one part of a multipart response.
 */
export function useStreamedSubscriptions(options: StreamedSubscriptionsOptions): Plugin {
  const framings: Record<'sse' | 'multipart', ResultFraming> = {
    sse: new SseFraming(options.serialisedResults),
    multipart: new MultipartFraming(options.serialisedResults),
  };
  return {
    onResultProcess({ request, result, resultProcessor, serverContext, setResultProcessor }) {
      const form = askedStreamedForm(request.headers.get('accept'));
      if (!form) return;
      // Yoga's plugins are typed without the server context; node:http hands it this one.
      const { req, res } = serverContext as ServerContext;
      if (!req || !res) return;
      const stream = isAsyncIterable(result);
      if (!stream && (resultProcessor || form === 'sse')) return;
      if (Array.isArray(result)) return; // a batch: not a subscription, left to Yoga
      const framing = framings[form];
      const results = stream ? result : singleResult(result);
      setResultProcessor(
        (_result, fetchAPI) =>
          new fetchAPI.Response(
            streamedResponseBody(results, {
              framing,
              res,
              clientAddress: options.clientAddress(req),
              limit: options.limit,
              heartbeatMs: options.heartbeatMs,
            }) as unknown as ReadableStream,
            {
              status: stream ? 200 : httpStatusOf(result),
              headers: {
                'Content-Type': framing.contentType,
                'Cache-Control': 'no-cache',
                // As Yoga's SSE answers: no proxy may compress (and so hold back) the events.
                ...(form === 'sse' ? { 'Content-Encoding': 'none' } : {}),
              },
            },
          ),
        framing.contentType.split(';')[0] as string,
      );
    },
  };
}

async function* singleResult(result: ExecutionResult): AsyncGenerator<ExecutionResult> {
  yield result;
}

/** The status Yoga would answer a refused operation with (401 for a missing token), else 200. */
function httpStatusOf(result: ExecutionResult): number {
  let status = 200;
  for (const error of result.errors ?? []) {
    const http = error.extensions?.http as { status?: unknown } | undefined;
    if (typeof http?.status === 'number' && http.status > status) status = http.status;
  }
  return status;
}
