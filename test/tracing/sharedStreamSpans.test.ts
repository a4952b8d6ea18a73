import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startOpenTelemetry } from '../../src/tracing/openTelemetryTracing.ts';
import { ENGAGEMENT_UPDATED, subscribe, TRANSPORTS } from '../../support/graphqlClients.ts';
import { startOtlpCollector } from '../../support/otlpCollector.ts';
import { ScriptedPipeline } from '../../support/scriptedPipeline.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';

const CALLER_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';

/**
 * A subscription that joins a stream another one opened runs no operation of its own (its
 * events are the opener's), yet it is an operation the client sent: it has a span of its own,
 * on every transport.
 */
describe('spans of subscriptions that share a stream', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('gives every subscriber of a live run a span, opener and joiners, over each transport', async () => {
    const collector = await startOtlpCollector();
    cleanups.push(() => collector.close());
    const tracing = await startOpenTelemetry(
      { endpoint: collector.endpoint, protocol: 'http/json', serviceName: 'engagement-summary' },
      pino({ level: 'silent' }),
    );
    const pipeline = new ScriptedPipeline();
    const server: TestApp = await startTestApp('memory', {}, { pipeline, tracing });
    cleanups.push(() => server.close());
    const runId = (await server.app.services.runs.start('acme.com')).run_id;
    await pipeline.started(runId);

    // The run stays live: per transport, one subscriber opens its stream, two join it.
    const open: Array<ReturnType<typeof subscribe>> = [];
    for (const transport of TRANSPORTS) {
      for (let i = 0; i < 3; i++) {
        const watched = subscribe({ transport, ...server }, ENGAGEMENT_UPDATED, {
          domain: 'acme.com',
          runId,
        });
        open.push(watched);
        await watched.waitFor(1);
      }
    }
    // One more SSE subscriber joins from within a caller's trace.
    const aborted = new AbortController();
    const response = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        traceparent: `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-01`,
      },
      body: JSON.stringify({ query: ENGAGEMENT_UPDATED, variables: { domain: 'acme.com', runId } }),
      signal: aborted.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let received = '';
    while (!received.includes('event: next')) {
      const { value } = await reader.read();
      received += new TextDecoder().decode(value);
    }
    aborted.abort();
    await Promise.all(open.map((watched) => watched.dispose()));
    // Each opener's span ends with its stream, once the last subscriber of it has left.
    await vi.waitFor(() => expect(server.app.services.runs.watchedChannels).toBe(0));
    await server.close();
    await tracing.tracing.shutdown();

    const spans = collector.spans.filter((s) => s.name === 'subscription.EngagementUpdated');
    expect(spans).toHaveLength(3 * TRANSPORTS.length + 1);
    const inCallerTrace = spans.filter((s) => s.traceId === CALLER_TRACE_ID);
    expect(inCallerTrace).toHaveLength(1);
    expect(inCallerTrace[0]?.parentSpanId).toBe(CALLER_SPAN_ID);
    expect(inCallerTrace[0]?.attributes['engagement.transport']).toBe('sse');
    const joined = spans.filter((s) => s.attributes['engagement.shared_stream_joined'] === true);
    // The WebSocket subscriber opened the stream and every SSE one joined it (the same
    // document); Apollo Client adds `__typename` to its document, so its first multipart
    // subscriber opened a stream of its own.
    const count = (transport: string) =>
      joined.filter((s) => s.attributes['engagement.transport'] === transport).length;
    expect([count('websocket'), count('sse'), count('multipart')]).toEqual([2, 4, 2]);
    for (const span of joined) {
      expect(span.attributes['graphql.execute.operationName']).toBe('EngagementUpdated');
    }
  });
});
