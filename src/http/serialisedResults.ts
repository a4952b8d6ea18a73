import { type ExecutionResult, GraphQLError, type GraphQLFormattedError } from 'graphql';

/**
 * The JSON of each result sent, serialised once however many responses and sockets it goes
 * to. A subscription event is executed once per distinct operation
 * (useSharedSubscriptionExecution), so every subscriber of that operation, on any transport,
 * is handed the same result object; it is serialised for the first and the text reused for
 * the others, each transport only framing it. Held weakly: the text lives as long as the
 * result does. One instance serves every transport of the process (the composition root
 * builds it), so a WebSocket, an SSE and a multipart subscriber of one run share the work.
 */
export class SerialisedResults {
  private readonly json = new WeakMap<ExecutionResult, string>();

  of(result: ExecutionResult): string {
    let text = this.json.get(result);
    if (text === undefined) {
      text = resultJson(result);
      this.json.set(result, text);
    }
    return text;
  }
}

/**
 * A result as a client reads it. Yoga marks some errors with an `http` extension (the status
 * it would answer over HTTP): it means nothing inside a stream, so it is left out, as Yoga's
 * own serialiser does.
 */
function resultJson(result: ExecutionResult): string {
  if (!result.errors?.length) return JSON.stringify(result);
  return JSON.stringify({ ...result, errors: result.errors.map(formattedError) });
}

/** An error's JSON form without the `http` extension. */
export function formattedError(error: {
  toJSON?: () => GraphQLFormattedError;
}): GraphQLFormattedError {
  const formatted = typeof error.toJSON === 'function' ? error.toJSON() : (error as never);
  const { http: _http, ...kept } = formatted.extensions ?? {};
  const { extensions: _extensions, ...rest } = formatted;
  return Object.keys(kept).length > 0 ? { ...rest, extensions: kept } : rest;
}

/**
 * A failed event stream (the server shutting down, a lost store) as the client sees it: the
 * JSON of its errors (a WebSocket `error` message's payload; the `errors` of a multipart
 * part; the errors of an SSE `next` event). Envelop has already masked the error by then.
 */
export function streamErrorJson(error: unknown): string {
  const originalError = error instanceof Error ? error : new Error(String(error));
  return JSON.stringify([
    formattedError(new GraphQLError(originalError.message, { originalError })),
  ]);
}
