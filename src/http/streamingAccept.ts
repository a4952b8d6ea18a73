/** The streamed forms an HTTP request may ask a subscription to be answered in. */
export type StreamedForm = 'sse' | 'multipart';

/**
 * Which streamed form an `Accept` header asks for, if any: `sse` for `text/event-stream`
 * (GraphQL over SSE), `multipart` for `multipart/mixed` with `subscriptionSpec=1.0` (Apollo's
 * multipart subscription protocol, what Apollo Client's HttpLink sends; the parameter quoted
 * or not, with or without a `boundary`). When both are listed, the first wins. A plain
 * `multipart/mixed` (incremental delivery, without the parameter) is not a subscription form.
 * The one reading of the header: the context labels the subscription by it, and the result
 * processors answer by it.
 */
export function askedStreamedForm(accept: string | null | undefined): StreamedForm | undefined {
  if (!accept) return undefined;
  for (const range of accept.split(',')) {
    const [type = '', ...parameters] = range.split(';');
    const mediaType = type.trim().toLowerCase();
    if (mediaType === 'text/event-stream') return 'sse';
    if (mediaType === 'multipart/mixed' && parameters.some(isSubscriptionSpec1)) return 'multipart';
  }
  return undefined;
}

function isSubscriptionSpec1(parameter: string): boolean {
  const equals = parameter.indexOf('=');
  if (equals < 0) return false;
  const name = parameter.slice(0, equals).trim().toLowerCase();
  const value = parameter
    .slice(equals + 1)
    .trim()
    .replace(/^"(.*)"$/, '$1');
  return name === 'subscriptionspec' && value === '1.0';
}
