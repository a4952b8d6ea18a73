import { setCurrentOtelContext, useOpenTelemetry } from '@envelop/opentelemetry';
import {
  context,
  type DiagLogger,
  DiagLogLevel,
  diag,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-node';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVICE_NAME,
} from '@opentelemetry/semantic-conventions';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { TracingConfig } from '../config.ts';
import type { RunSpan, TraceCarrier, Tracing } from './tracing.ts';

/** Tracing as the composition root wires it: the service's hooks and the GraphQL plugin. */
export interface OpenTelemetryTracing {
  tracing: Tracing;
  /** A span per GraphQL operation (every transport goes through Yoga's envelop). */
  graphqlPlugins: Plugin[];
}

const TRACER_NAME = 'engagement-summary';

/**
 * OpenTelemetry with an OTLP/HTTP exporter (`http/protobuf` or `http/json`, as
 * OTEL_EXPORTER_OTLP_PROTOCOL says), batched. Loaded only by dynamic import from the
 * composition root when OTEL_EXPORTER_OTLP_ENDPOINT is set.
 *
 * The provider is registered globally because the active context has to be: the run's
 * span must be the parent of the upstream calls made deep inside the pipeline, and the
 * GraphQL plugin reads the active context through the global API. Nothing else is global:
 * the service reaches the tracer only through the returned `Tracing`.
 */
export async function startOpenTelemetry(
  config: TracingConfig,
  logger: Logger,
): Promise<OpenTelemetryTracing> {
  diag.setLogger(diagnosticsTo(logger), DiagLogLevel.WARN);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName }),
    spanProcessors: [new BatchSpanProcessor(await spanExporter(config))],
  });
  // The AsyncLocalStorage context manager and the W3C trace-context propagator.
  provider.register();
  const tracer = provider.getTracer(TRACER_NAME);

  const tracing: Tracing = {
    currentContext() {
      const carrier: TraceCarrier = {};
      propagation.inject(context.active(), carrier);
      return carrier.traceparent ? carrier : undefined;
    },

    inRunSpan(run, work) {
      const parent = run.trace ? propagation.extract(ROOT_CONTEXT, run.trace) : ROOT_CONTEXT;
      const span = tracer.startSpan(
        'engagement run',
        {
          kind: SpanKind.CONSUMER,
          attributes: { 'engagement.run_id': run.runId, 'engagement.domain': run.domain },
        },
        parent,
      );
      let outcome: string | undefined;
      const runSpan: RunSpan = {
        ended(ending, message) {
          outcome = ending;
          span.setAttribute('engagement.run.outcome', ending);
          if (ending === 'error') span.setStatus({ code: SpanStatusCode.ERROR, message });
        },
      };
      return context.with(trace.setSpan(parent, span), async () => {
        try {
          return await work(runSpan);
        } catch (error) {
          // A failure of the executor itself (a store error): the run stays open.
          if (outcome === undefined) span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      });
    },

    inRequestSpan(request, work) {
      const parent = propagation.extract(ROOT_CONTEXT, request.headers);
      const span = tracer.startSpan(
        `${request.method} ${request.route}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            [ATTR_HTTP_REQUEST_METHOD]: request.method,
            [ATTR_HTTP_ROUTE]: request.route,
          },
        },
        parent,
      );
      return context.with(trace.setSpan(parent, span), async () => {
        try {
          return await work();
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          const status = request.statusCode();
          span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
          if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        }
      });
    },

    upstreamCallEnded(call) {
      const endTime = performance.timeOrigin + performance.now();
      const span = tracer.startSpan(
        `${call.upstream} ${call.operation}`,
        {
          kind: SpanKind.CLIENT,
          startTime: endTime - call.seconds * 1000,
          attributes: {
            'upstream.name': call.upstream,
            'upstream.operation': call.operation,
            'upstream.outcome': call.outcome,
          },
        },
        context.active(),
      );
      if (call.outcome !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR });
      span.end(endTime);
    },

    subscriptionJoined({ operationName, transport, headers }) {
      const name = operationName || 'anonymous';
      const parent = headers?.traceparent
        ? propagation.extract(ROOT_CONTEXT, headers)
        : ROOT_CONTEXT;
      tracer
        .startSpan(
          `subscription.${name}`,
          {
            kind: SpanKind.SERVER,
            attributes: {
              // As @envelop/opentelemetry names an operation's span and its attributes.
              'graphql.execute.operationName': name,
              'graphql.execute.operationType': 'subscription',
              'engagement.transport': transport,
              'engagement.shared_stream_joined': true,
            },
          },
          parent,
        )
        .end();
    },

    async shutdown() {
      await provider.shutdown();
    },
  };

  return {
    tracing,
    graphqlPlugins: [
      useCallerTraceContext(),
      useOpenTelemetry(
        // Operation name, type and document only: never variables, results or resolver
        // arguments (a document with inline arguments is left out too).
        { resolvers: false, variables: false, result: false },
        provider,
        SpanKind.SERVER,
        {},
        TRACER_NAME,
      ) as Plugin,
    ],
  };
}

/**
 * An operation over HTTP that carries a `traceparent` header joins the caller's trace, as a
 * REST call does (the envelop plugin would start a new trace for it). Operations over
 * WebSocket have no headers of their own.
 */
function useCallerTraceContext(): Plugin {
  return {
    onContextBuilding() {
      return ({ context: built }) => {
        const request = (built as { request?: Request }).request;
        if (!request?.headers.has('traceparent')) return;
        const headers = Object.fromEntries(request.headers);
        setCurrentOtelContext(built, propagation.extract(ROOT_CONTEXT, headers));
      };
    },
  };
}

/** The exporter for OTEL_EXPORTER_OTLP_PROTOCOL; only that one is loaded. */
async function spanExporter(config: TracingConfig): Promise<SpanExporter> {
  // The generic endpoint names the collector; each signal has its own path under it.
  const url = `${config.endpoint.replace(/\/+$/, '')}/v1/traces`;
  if (config.protocol === 'http/json') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter({ url });
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter({ url });
}

/** The SDK's own warnings (an export that failed, a full queue) as log lines. */
function diagnosticsTo(logger: Logger): DiagLogger {
  const log = logger.child({ component: 'opentelemetry' });
  const line =
    (level: 'warn' | 'error' | 'debug') =>
    (message: string, ...args: unknown[]) =>
      log[level]({ detail: args.length > 0 ? args.map(String) : undefined }, message);
  return {
    error: line('error'),
    warn: line('warn'),
    info: line('debug'),
    debug: line('debug'),
    verbose: line('debug'),
  };
}
