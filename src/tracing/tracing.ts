import type { IncomingHttpHeaders } from 'node:http';

/**
 * What the service reports to a tracer, in its own terms: the parts that start or do work
 * (the REST routes, the run queue and executor, the upstream clients) call this, never
 * OpenTelemetry itself. OTEL_EXPORTER_OTLP_ENDPOINT set: the composition root loads the
 * OpenTelemetry implementation (`openTelemetryTracing.ts`, by dynamic import); unset: it
 * passes NO_TRACING, and no tracing code is loaded at all.
 */
export interface Tracing {
  /**
   * The active trace context as W3C trace-context headers (`traceparent`, `tracestate`),
   * to carry with a queued run so that its span joins the operation that started it.
   * Undefined when nothing is traced.
   */
  currentContext(): TraceCarrier | undefined;
  /**
   * Runs `work` in the span of one run: a child of the context `run.trace` carries, with
   * the run id and domain as attributes. Upstream calls made inside become its children.
   */
  inRunSpan<T>(run: TracedRun, work: (span: RunSpan) => Promise<T>): Promise<T>;
  /**
   * Runs `work` in a server span for one REST call, continuing the caller's trace when the
   * request carries a `traceparent` header. The response status is read when it ends.
   */
  inRequestSpan<T>(request: TracedRequest, work: () => Promise<T>): Promise<T>;
  /**
   * Records a subscription that joined a stream already running for the same operation: its
   * events are executed once, for the subscriber that opened the stream, whose operation
   * span lasts as long as the stream. The joiner gets a span of its own, named as operation
   * spans are (`subscription.<name>`) and ended as it joins; a `traceparent` among its
   * request's headers makes it part of the caller's trace.
   */
  subscriptionJoined(join: TracedJoin): void;
  /** Records an upstream call that just ended as a client span under the active span. */
  upstreamCallEnded(call: TracedUpstreamCall): void;
  /** Exports what is still buffered and stops; later spans are dropped. */
  shutdown(): Promise<void>;
}

/** W3C trace-context headers, as they travel in a run's job. */
export type TraceCarrier = Record<string, string>;

export interface TracedRun {
  domain: string;
  runId: string;
  trace?: TraceCarrier;
}

/** The run's span, told how the run ended. */
export interface RunSpan {
  /** `complete`, `error` (with the user-facing message, which names no secret), or another outcome. */
  ended(outcome: string, message?: string): void;
}

export interface TracedRequest {
  method: string;
  /** The route, without the query string (which may carry user input). */
  route: string;
  headers: IncomingHttpHeaders;
  /** Read when the span ends: the response's status code. */
  statusCode(): number;
}

export interface TracedJoin {
  /** The operation's own name in its document; anonymous operations have none. */
  operationName: string | undefined;
  /** The transport it came by: `websocket`, `sse` or `multipart`. */
  transport: string;
  /** The HTTP request's headers; a WebSocket operation has none of its own. */
  headers?: Record<string, string>;
}

/** The shape of `UpstreamCall` (pipeline/upstreamCall.ts), restated so this module imports nothing of ours. */
export interface TracedUpstreamCall {
  upstream: string;
  operation: string;
  outcome: string;
  seconds: number;
}

const NO_RUN_SPAN: RunSpan = { ended: () => {} };

/** Tracing off: every method does only the work it wraps. */
export const NO_TRACING: Tracing = {
  currentContext: () => undefined,
  inRunSpan: (_run, work) => work(NO_RUN_SPAN),
  inRequestSpan: (_request, work) => work(),
  subscriptionJoined: () => {},
  upstreamCallEnded: () => {},
  shutdown: async () => {},
};
