import { isAsyncIterable, type Plugin } from 'graphql-yoga';

/**
 * A subscription received over HTTP is streamed only as Server-Sent Events or in Apollo's
 * multipart protocol (useStreamedSubscriptions). Asked for it in another form
 * (`Accept: application/json`, or `multipart/mixed` without `subscriptionSpec`), Yoga
 * answers 406 — but only after the subscription was set up, and it never ends it: the run's
 * watch (a pub/sub subscription, and the `transport="http"` gauge) stayed open for good, one
 * per request.
 * This ends the stream of every request answered 406. It looks at the response, not at
 * which result processor was chosen, so it holds whatever processors other plugins add.
 */
export function useRefusedSubscriptionRelease(): Plugin {
  const streams = new WeakMap<Request, AsyncIterable<unknown>>();
  return {
    onResultProcess({ request, result }) {
      if (isAsyncIterable(result)) streams.set(request, result);
    },
    onResponse({ request, response }) {
      const stream = streams.get(request);
      if (!stream || response.status !== 406) return;
      streams.delete(request);
      const iterator = stream[Symbol.asyncIterator]();
      void iterator.return?.();
    },
  };
}
