import type { IncomingMessage } from 'node:http';
import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { MultipartFraming } from '../multipartFraming.ts';
import type { SerialisedResults } from '../serialisedResults.ts';
import { streamedResponseBody } from '../streamedResponse.ts';
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
 * Answers a subscription over HTTP in Apollo's multipart protocol when the request's `Accept`
 * asks for it (`multipart/mixed;subscriptionSpec=1.0`, as Apollo Client's HttpLink sends
 * every subscription). Yoga 5 answers subscriptions only as SSE (its multipart processor is
 * incremental delivery, without heartbeats or the `payload` envelope, and is not offered for
 * subscriptions: they get 406). Any subscription field is served this way.
 *
 * An operation refused before its stream starts (no token, an unknown run, bad arguments)
 * has one result, not a stream: it is left to Yoga's JSON answer with its usual status when
 * the client accepts JSON (HttpLink does); otherwise it is sent as the one part of a
 * multipart response.
 */
export function useStreamedSubscriptions(options: StreamedSubscriptionsOptions): Plugin {
  const multipart = new MultipartFraming(options.serialisedResults);
  return {
    onResultProcess({ request, result, resultProcessor, serverContext, setResultProcessor }) {
      if (askedStreamedForm(request.headers.get('accept')) !== 'multipart') return;
      // Yoga's plugins are typed without the server context; node:http hands it this one.
      const { req, res } = serverContext as ServerContext;
      if (!req || !res) return;
      const stream = isAsyncIterable(result);
      if (!stream && resultProcessor) return;
      if (Array.isArray(result)) return; // a batch: not a subscription, left to Yoga
      const results = stream ? result : singleResult(result);
      setResultProcessor(
        (_result, fetchAPI) =>
          new fetchAPI.Response(
            streamedResponseBody(results, {
              framing: multipart,
              res,
              clientAddress: options.clientAddress(req),
              limit: options.limit,
              heartbeatMs: options.heartbeatMs,
            }) as unknown as ReadableStream,
            {
              status: stream ? 200 : httpStatusOf(result),
              headers: { 'Content-Type': multipart.contentType, 'Cache-Control': 'no-cache' },
            },
          ),
        'multipart/mixed',
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
