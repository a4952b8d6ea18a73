import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startFakeFathom } from '../../support/fakes/fakeFathom.ts';
import { startFakeOpenAI } from '../../support/fakes/fakeOpenAI.ts';
import { buildMeetings } from '../../support/fakes/fathomFixtures.ts';
import {
  ENGAGEMENT_UPDATED,
  graphqlRequest,
  START,
  subscribe,
  TRANSPORTS,
} from '../../support/graphqlClients.ts';
import { type CollectedSpan, startOtlpCollector } from '../../support/otlpCollector.ts';
import { freePort } from '../../support/redisServer.ts';
import { signedDelivery, webhookKey } from '../support/fathomWebhookSigning.ts';
import { uniquePrefix } from '../support/testApp.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'tracing-test-bearer-token-5b1f';
const FATHOM_KEY = 'fathom-test-key';
const OPENAI_KEY = 'openai-test-key';
const REST = '/make-server-888f4514';
const SPAN_KIND = { server: 2, client: 3, consumer: 5 };
const WEBHOOK = webhookKey();
/** The caller's trace, as a front end that traces itself sends it (W3C trace context). */
const CALLER_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Service {
  url: string;
  /** Sends SIGTERM and resolves with the exit code once the process is gone. */
  stop(): Promise<number | null>;
  /** Every module the process loaded (ES module URLs and CommonJS paths), read after it exits. */
  loadedModules(): string[];
}

/**
 * Starts `src/main.ts` (or `src/worker.ts`) in a process of its own, with only the given
 * environment, and waits until it says it is ready.
 */
async function startService(
  env: Record<string, string>,
  entry: 'src/main.ts' | 'src/worker.ts' = 'src/main.ts',
): Promise<Service> {
  const port = await freePort();
  const modulesFile = join(tmpdir(), `loaded-modules-${uniquePrefix().slice(5, 13)}.txt`);
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', './support/loadedModulesProbe.ts', entry],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        KV_PREFIX: uniquePrefix(),
        LOADED_MODULES_FILE: modulesFile,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  cleanups.push(() => {
    child.kill('SIGKILL');
  });
  await expect
    .poll(() => output, { timeout: 60_000, interval: 100 })
    .toContain(entry === 'src/main.ts' ? 'listening' : 'worker started');
  return {
    url: `http://127.0.0.1:${port}`,
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
    loadedModules: () => readFileSync(modulesFile, 'utf8').split('\n').filter(Boolean),
  };
}

/** Package names under node_modules among `modules` whose name matches `pattern`. */
function packagesMatching(modules: string[], pattern: RegExp): string[] {
  const names = modules
    .map((module) => module.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.[1])
    .filter((name): name is string => name !== undefined && pattern.test(name));
  return [...new Set(names)].sort();
}

async function upstreams() {
  const fathom = await startFakeFathom({
    apiKey: FATHOM_KEY,
    meetings: buildMeetings({
      companies: [
        { domain: 'acme.com', people: [{ name: 'Jane Doe', email: 'jane@acme.com' }] },
        { domain: 'globex.com', people: [{ name: 'Hank Scorpio', email: 'hank@globex.com' }] },
      ],
      meetingsPerCompany: 2,
    }),
  });
  const openai = await startFakeOpenAI({ apiKey: OPENAI_KEY });
  cleanups.push(
    () => fathom.close(),
    () => openai.close(),
  );
  return {
    FATHOM_API_KEY: FATHOM_KEY,
    FATHOM_BASE_URL: fathom.baseUrl,
    OPENAI_API_KEY: OPENAI_KEY,
    OPENAI_BASE_URL: openai.baseUrl,
    AUTH_TOKENS: TOKEN,
    FATHOM_WEBHOOK_SECRET: WEBHOOK.secret,
  };
}

const RUNS = `query Runs($domain: String!) {
  engagements(domain: $domain, limit: 10) { runId trigger status }
}`;

/** Delivers a signed Fathom webhook for a new meeting with Acme; resolves with the run it started once that run ended. */
async function webhookRun(url: string): Promise<string> {
  const [meeting] = buildMeetings({
    companies: [{ domain: 'acme.com', people: [{ name: 'Jane Doe', email: 'jane@acme.com' }] }],
    meetingsPerCompany: 1,
  });
  const body = JSON.stringify(meeting);
  const delivery = signedDelivery(body, WEBHOOK.key);
  const answer = await fetch(`${url}/webhooks/fathom`, {
    method: 'POST',
    headers: delivery.headers,
    body,
  });
  expect(answer.status).toBe(202);
  let runId = '';
  await expect
    .poll(
      async () => {
        const runs = await graphqlRequest<{
          engagements: Array<{ runId: string; trigger: string; status: string }>;
        }>(`${url}/graphql`, RUNS, { domain: 'acme.com' }, auth);
        const run = runs.data?.engagements.find((r) => r.trigger === 'WEBHOOK');
        runId = run?.runId ?? '';
        return run?.status;
      },
      { timeout: 30_000, interval: 200 },
    )
    .toBe('COMPLETE');
  return runId;
}

const auth = { authorization: `Bearer ${TOKEN}` };
const RUN_STATUS = `query RunStatus($domain: String!, $runId: ID!) {
  engagement(domain: $domain, runId: $runId) { status error }
}`;

/** Polls the run over GraphQL until it ends; returns its final status. */
async function untilEnded(url: string, domain: string, runId: string): Promise<string> {
  let status = 'PROCESSING';
  await expect
    .poll(
      async () => {
        const answer = await graphqlRequest<{ engagement: { status: string } }>(
          `${url}/graphql`,
          RUN_STATUS,
          { domain, runId },
          auth,
        );
        status = answer.data?.engagement.status ?? 'missing';
        return status;
      },
      { timeout: 30_000, interval: 200 },
    )
    .not.toBe('PROCESSING');
  return status;
}

/** The span and its ancestors' ids, up to the root of its trace. */
function ancestors(span: CollectedSpan, spans: CollectedSpan[]): string[] {
  const chain: string[] = [];
  let parent = spans.find((s) => s.spanId === span.parentSpanId);
  while (parent) {
    chain.push(parent.spanId);
    const next = parent.parentSpanId;
    parent = spans.find((s) => s.spanId === next);
  }
  return chain;
}

describe.each([
  {
    protocol: 'http/json',
    setup: 'embedded backend, runs executed by the server',
    contentType: 'application/json',
  },
  {
    protocol: 'http/protobuf',
    setup: 'Redis, runs executed by a separate npm run worker',
    contentType: 'application/x-protobuf',
  },
] as const)('OpenTelemetry over $protocol ($setup)', ({ protocol, contentType }) => {
  it('exports each run as one trace: the operation, REST call or webhook that started it, the run span, its Fathom and LLM calls; a span per subscription on every transport', async () => {
    const collector = await startOtlpCollector();
    cleanups.push(() => collector.close());
    const env = {
      ...(await upstreams()),
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    };
    // With Redis, the server only enqueues (BullMQ) and a worker process executes: the
    // trace context crosses processes in the job.
    const shared = { REDIS_URL: inject('redisUrl'), KV_PREFIX: uniquePrefix() };
    const worker =
      protocol === 'http/protobuf'
        ? await startService({ ...env, ...shared }, 'src/worker.ts')
        : undefined;
    const service = await startService(worker ? { ...env, ...shared, RUN_WORKER: 'false' } : env);

    // One run started over GraphQL (within the caller's trace), one over REST; a REST
    // poll; GraphQL polls to the end.
    const started = await graphqlRequest<{ startEngagementSummary: { runId: string } }>(
      `${service.url}/graphql`,
      START,
      { domain: 'https://www.acme.com' },
      { ...auth, traceparent: `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-01` },
    );
    expect(started.errors).toBeUndefined();
    const graphqlRunId = started.data?.startEngagementSummary.runId as string;
    const restStart = await fetch(`${service.url}${REST}/engagement-summary`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ domain: 'globex.com' }),
    });
    expect(restStart.status).toBe(200);
    const restRunId = ((await restStart.json()) as { run_id: string }).run_id;
    const poll = await fetch(
      `${service.url}${REST}/engagement-status?domain=acme.com&run_id=${graphqlRunId}`,
      { headers: auth },
    );
    expect(poll.status).toBe(200);
    expect(await untilEnded(service.url, 'acme.com', graphqlRunId)).toBe('COMPLETE');
    expect(await untilEnded(service.url, 'globex.com', restRunId)).toBe('COMPLETE');
    // A Fathom webhook about Acme starts a run of its own.
    const webhookRunId = await webhookRun(service.url);
    // The finished run watched once over each transport: its state, then completion.
    for (const transport of TRANSPORTS) {
      const watched = subscribe(
        {
          transport,
          graphqlUrl: `${service.url}/graphql`,
          wsUrl: `${service.url.replace('http', 'ws')}/graphql`,
          token: TOKEN,
        },
        ENGAGEMENT_UPDATED,
        { domain: 'acme.com', runId: graphqlRunId },
      );
      expect(await watched.ended, transport).toBe('complete');
      expect(watched.events, transport).toHaveLength(1);
      await watched.dispose();
    }

    // Spans are batched: what is still buffered leaves on shutdown.
    expect(await service.stop()).toBe(0);
    if (worker) expect(await worker.stop()).toBe(0);
    const spans = collector.spans;
    expect(collector.contentTypes.length).toBeGreaterThan(0);
    for (const type of collector.contentTypes) expect(type).toContain(contentType);
    for (const span of spans) {
      expect(span.resource['service.name']).toBe('engagement-summary');
    }

    // A span per GraphQL operation and per REST call.
    const mutation = spans.filter((s) => s.name === 'mutation.StartEngagementSummary');
    expect(mutation).toHaveLength(1);
    expect(mutation[0]?.traceId).toBe(CALLER_TRACE_ID);
    expect(mutation[0]?.parentSpanId).toBe(CALLER_SPAN_ID);
    expect(spans.filter((s) => s.name === 'query.RunStatus').length).toBeGreaterThanOrEqual(2);
    // A subscription is an operation too, whichever transport carries it.
    expect(spans.filter((s) => s.name === 'subscription.EngagementUpdated')).toHaveLength(
      TRANSPORTS.length,
    );
    const restStartSpan = spans.filter((s) => s.name === `POST ${REST}/engagement-summary`);
    expect(restStartSpan).toHaveLength(1);
    const restPollSpan = spans.filter((s) => s.name === `GET ${REST}/engagement-status`);
    expect(restPollSpan).toHaveLength(1);
    expect(restPollSpan[0]?.kind).toBe(SPAN_KIND.server);
    expect(restPollSpan[0]?.attributes['http.response.status_code']).toBe(200);
    expect(restStartSpan[0]?.attributes['http.request.method']).toBe('POST');
    const webhookSpan = spans.filter((s) => s.name === 'POST /webhooks/fathom');
    expect(webhookSpan).toHaveLength(1);
    expect(webhookSpan[0]?.attributes['http.response.status_code']).toBe(202);

    // One span per run, with its id and domain, a child of what started it.
    const runSpans = spans.filter((s) => s.name === 'engagement run');
    expect(runSpans).toHaveLength(3);
    for (const [runId, domain, starter] of [
      [graphqlRunId, 'acme.com', mutation[0]],
      [restRunId, 'globex.com', restStartSpan[0]],
      [webhookRunId, 'acme.com', webhookSpan[0]],
    ] as const) {
      const run = runSpans.find((s) => s.attributes['engagement.run_id'] === runId);
      expect(run?.attributes['engagement.domain']).toBe(domain);
      expect(run?.attributes['engagement.run.outcome']).toBe('complete');
      expect(run?.kind).toBe(SPAN_KIND.consumer);
      expect(run?.traceId).toBe(starter?.traceId);
      expect(run?.parentSpanId).toBe(starter?.spanId);

      // Its Fathom and LLM calls are its descendants, in the same trace.
      const below = spans.filter((s) => ancestors(s, spans).includes(run?.spanId as string));
      const fathom = below.filter((s) => s.name === 'fathom list_meetings');
      const llm = below.filter((s) => s.name.startsWith('llm '));
      expect(fathom.length).toBeGreaterThanOrEqual(1);
      // The webhook's run finds Acme's meetings unchanged since the first run: the kept
      // findings answer, and the LLM is not called.
      if (runId === webhookRunId) expect(llm).toEqual([]);
      else expect(llm.length).toBeGreaterThanOrEqual(1);
      for (const call of [...fathom, ...llm]) {
        expect(call.traceId).toBe(run?.traceId);
        expect(call.kind).toBe(SPAN_KIND.client);
        expect(call.attributes['upstream.outcome']).toBe('ok');
      }
    }
    expect(new Set([graphqlRunId, restRunId, webhookRunId]).size).toBe(3);
    expect(new Set(runSpans.map((s) => s.traceId)).size).toBe(3);

    // No key or token in any attribute, of any span or of the resource.
    const everything = JSON.stringify(spans.map((s) => [s.attributes, s.resource]));
    for (const secret of [TOKEN, FATHOM_KEY, OPENAI_KEY, 'Bearer', 'authorization']) {
      expect(everything.toLowerCase()).not.toContain(secret.toLowerCase());
    }

    // What the process loaded: the SDK, the exporter of the configured protocol only.
    const loaded = packagesMatching(service.loadedModules(), /opentelemetry/);
    expect(loaded).toContain('@opentelemetry/sdk-trace-node');
    expect(loaded).toContain('@envelop/opentelemetry');
    expect(loaded).toContain(
      protocol === 'http/json'
        ? '@opentelemetry/exporter-trace-otlp-http'
        : '@opentelemetry/exporter-trace-otlp-proto',
    );
    expect(loaded).not.toContain(
      protocol === 'http/json'
        ? '@opentelemetry/exporter-trace-otlp-proto'
        : '@opentelemetry/exporter-trace-otlp-http',
    );
  }, 120_000);
});

describe('OTEL_EXPORTER_OTLP_ENDPOINT unset', () => {
  it('loads no tracing module: no OpenTelemetry SDK, exporter or GraphQL plugin, through a whole run', async () => {
    const service = await startService(await upstreams());
    const started = await graphqlRequest<{ startEngagementSummary: { runId: string } }>(
      `${service.url}/graphql`,
      START,
      { domain: 'acme.com' },
      auth,
    );
    const runId = started.data?.startEngagementSummary.runId as string;
    expect(await untilEnded(service.url, 'acme.com', runId)).toBe('COMPLETE');
    expect(await service.stop()).toBe(0);

    const modules = service.loadedModules();
    // The probe saw the process's modules, the summariser's lazily loaded SDK among them.
    expect(packagesMatching(modules, /^(openai|graphql-yoga|pino)$/)).toEqual([
      'graphql-yoga',
      'openai',
      'pino',
    ]);
    expect(modules.some((m) => m.includes('src/tracing/openTelemetryTracing'))).toBe(false);
    // prom-client (the /metrics registry) requires @opentelemetry/api for its CPU counter's
    // exemplars, and did before tracing existed; nothing else of OpenTelemetry is loaded.
    expect(packagesMatching(modules, /opentelemetry/)).toEqual(['@opentelemetry/api']);
  }, 60_000);
});
