import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { UpstreamCall } from './pipeline/upstreamCall.ts';

export type SubscriptionTransport = 'websocket' | 'sse' | 'multipart' | 'http';

/** The transports that stream to a client and so can fall behind it. */
export type StreamingTransport = 'websocket' | 'sse' | 'multipart';

/**
 * The service's Prometheus metrics, on a registry of its own (no global state, so tests
 * and several apps in one process do not mix their numbers).
 */
export class ServiceMetrics {
  readonly registry = new Registry();

  private readonly runsStarted = new Counter({
    name: 'engagement_runs_started_total',
    help: 'Runs started on this instance.',
    registers: [this.registry],
  });
  private readonly runsCompleted = new Counter({
    name: 'engagement_runs_completed_total',
    help: 'Runs this instance ended as COMPLETE.',
    registers: [this.registry],
  });
  private readonly runsFailed = new Counter({
    name: 'engagement_runs_failed_total',
    help: 'Runs this instance ended as ERROR (including by the deadline sweeper).',
    registers: [this.registry],
  });
  private readonly runDuration = new Histogram({
    name: 'engagement_run_duration_seconds',
    help: "From a run's creation to its terminal state.",
    labelNames: ['outcome'] as const,
    buckets: [0.5, 1, 2.5, 5, 10, 20, 30, 45, 60, 90, 120],
    registers: [this.registry],
  });
  private readonly openSubscriptions = new Gauge({
    name: 'engagement_open_subscriptions',
    help: 'Subscriptions (engagementUpdated and engagementsUpdated) open now, by transport.',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });
  private readonly slowClientsClosed = new Counter({
    name: 'engagement_slow_clients_closed_total',
    help: 'Connections closed because their unsent data passed MAX_UNSENT_BYTES, by transport.',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });
  private readonly upstreamDuration = new Histogram({
    name: 'engagement_upstream_call_duration_seconds',
    help: 'Calls to Fathom and the LLM, by outcome (ok, http_<status>, network, timeout).',
    labelNames: ['upstream', 'operation', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40],
    registers: [this.registry],
  });
  private readonly upstreamErrors = new Counter({
    name: 'engagement_upstream_call_errors_total',
    help: 'Calls to Fathom and the LLM that did not succeed, by outcome.',
    labelNames: ['upstream', 'operation', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    for (const transport of ['websocket', 'sse', 'multipart', 'http'] as const) {
      this.openSubscriptions.set({ transport }, 0);
    }
    for (const transport of ['websocket', 'sse', 'multipart'] as const) {
      this.slowClientsClosed.inc({ transport }, 0);
    }
  }

  runStarted(): void {
    this.runsStarted.inc();
  }

  runEnded(outcome: 'complete' | 'error', durationSeconds: number): void {
    (outcome === 'complete' ? this.runsCompleted : this.runsFailed).inc();
    this.runDuration.observe({ outcome }, durationSeconds);
  }

  subscriptionChanged(transport: SubscriptionTransport, delta: number): void {
    this.openSubscriptions.inc({ transport }, delta);
  }

  slowClientClosed(transport: StreamingTransport): void {
    this.slowClientsClosed.inc({ transport });
  }

  upstreamCall(call: UpstreamCall): void {
    const labels = { upstream: call.upstream, operation: call.operation, outcome: call.outcome };
    this.upstreamDuration.observe(labels, call.seconds);
    if (call.outcome !== 'ok') this.upstreamErrors.inc(labels);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
