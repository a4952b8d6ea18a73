import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunRecord, SummaryRecord } from '../../src/model/runRecord.ts';
import { newRun } from '../../src/model/runTransitions.ts';
import {
  ENGAGEMENT_UPDATED,
  type Subscription,
  subscribe,
  TRANSPORTS,
  type Transport,
} from '../../support/graphqlClients.ts';
import {
  pausedMultipartClient,
  pausedSseClient,
  pausedWebSocketClient,
} from '../../support/pausedClients.ts';
import { capturingLogger } from '../support/logCapture.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';

interface RunEvent {
  engagementUpdated: { version: number; status: string };
}

const DOMAIN = 'acme.com';
/** The bound in the tests: small, so that a paused client passes it quickly. */
const SMALL_BOUND = 64 * 1024;
/**
 * Each state carries ~60 KB of goals, so the backlog grows fast, while one state as sent
 * (every Insight field selected) stays under SMALL_BOUND: a client that reads is never cut off.
 */
const GOALS_PER_STATE = 90;
/** States written to a paused client before a test gives up waiting for it to be closed. */
const MOST_STATES = 400;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let logLines: string[] = [];

async function app(maxUnsentBytes: number): Promise<TestApp> {
  const { logger, lines } = capturingLogger();
  logLines = lines;
  const server = await startTestApp(
    'memory',
    {
      MAX_UNSENT_BYTES: String(maxUnsentBytes),
      // Keepalive would also drop a client that stops reading, in its own time: not here.
      WS_KEEPALIVE_MS: '600000',
    },
    { logger },
  );
  cleanups.push(() => server.close());
  return server;
}

/** A run stored directly, so that the test writes every state itself. */
async function storedRun(server: TestApp): Promise<RunRecord> {
  const run = newRun(DOMAIN, randomUUID(), new Date(), 60_000);
  expect(await server.app.backend.store.write(run)).toEqual({ ok: true });
  return run;
}

function bigSummary(version: number): SummaryRecord {
  const goals = Array.from({ length: GOALS_PER_STATE }, (_, i) => ({
    text: `State ${version}, goal ${i}: ${'x'.repeat(600)}`,
    meeting_ids: ['1'],
  }));
  return { meetings_count: 1, meetings: [], people: [], goals, challenges: [] };
}

/** Writes the run's next state, large; returns it. */
async function writeBigState(
  server: TestApp,
  run: RunRecord,
  status: RunRecord['status'] = 'processing',
): Promise<RunRecord> {
  const next: RunRecord = {
    ...run,
    status,
    version: run.version + 1,
    summary: bigSummary(run.version + 1),
    updated_at: new Date().toISOString(),
  };
  expect(await server.app.backend.store.write(next)).toEqual({ ok: true });
  return next;
}

async function metric(server: TestApp, name: string, transport: string): Promise<number> {
  const text = await server.app.metrics.render();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{transport="${transport}"} `));
  return line ? Number(line.split(' ').pop()) : Number.NaN;
}

const metricTransport = (transport: Transport) =>
  ({ ws: 'websocket', sse: 'sse', multipart: 'multipart' })[transport];
const PAUSED_CLIENTS = {
  ws: pausedWebSocketClient,
  sse: pausedSseClient,
  multipart: pausedMultipartClient,
};

function pausedClient(transport: Transport, server: TestApp, runId: string) {
  const target = { ...server, domain: DOMAIN, runId };
  const opened = PAUSED_CLIENTS[transport](target);
  return opened.then((client) => {
    cleanups.push(() => client.close());
    return client;
  });
}

function reader(transport: Transport, server: TestApp, runId: string): Subscription<RunEvent> {
  const sub = subscribe<RunEvent>({ transport, ...server }, ENGAGEMENT_UPDATED, {
    domain: DOMAIN,
    runId,
  });
  cleanups.push(() => sub.dispose());
  return sub;
}

/**
 * Writes large states until the server gives up on the paused client: the kernel's socket
 * buffers take the first few megabytes, then the server's own queue grows. Each state is
 * read by `normal` before the next is written. Returns the last state written.
 */
async function writeUntilClosed(
  server: TestApp,
  run: RunRecord,
  normal: Subscription<RunEvent>,
  transport: Transport,
): Promise<RunRecord> {
  let last = run;
  const closed = 'engagement_slow_clients_closed_total';
  while ((await metric(server, closed, metricTransport(transport))) === 0) {
    expect(last.version, 'the paused client was never closed').toBeLessThan(MOST_STATES);
    last = await writeBigState(server, last);
    await normal.waitFor(last.version);
  }
  return last;
}

const openConnections = (server: TestApp) =>
  new Promise<number>((resolve, reject) =>
    server.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );

const versionsOf = (sub: Subscription<RunEvent>) =>
  sub.events.map((event) => event.engagementUpdated.version);
const oneTo = (last: number) => Array.from({ length: last }, (_, i) => i + 1);

describe.each(TRANSPORTS)('a client that stops reading, over %s', (transport) => {
  it('is closed once its unsent data passes MAX_UNSENT_BYTES; a reader of the same run gets every state', async () => {
    const server = await app(SMALL_BOUND);
    let run = await storedRun(server);
    const normal = reader(transport, server, run.run_id);
    await normal.waitFor(1);
    const paused = await pausedClient(transport, server, run.run_id);
    const gauge = 'engagement_open_subscriptions';
    expect(await metric(server, gauge, metricTransport(transport))).toBe(2);

    run = await writeUntilClosed(server, run, normal, transport);
    const closed = 'engagement_slow_clients_closed_total';
    expect(await metric(server, closed, metricTransport(transport))).toBe(1);
    for (const other of TRANSPORTS.filter((t) => t !== transport)) {
      expect(await metric(server, closed, metricTransport(other))).toBe(0);
    }

    // On resuming, the paused client reads what was queued for it, then finds it closed.
    paused.resume();
    const end = await paused.ended;
    expect(end.completed).toBe(false);
    if (transport === 'ws') {
      expect(end).toMatchObject({
        closeCode: 1013,
        closeReason: 'Too far behind: unsent data past the limit',
      });
    }
    expect(paused.versions).toEqual(oneTo(paused.versions.length));
    // Its subscription is released; the reader's stays open and goes on to the end.
    await vi.waitFor(
      async () => expect(await metric(server, gauge, metricTransport(transport))).toBe(1),
      { timeout: 10_000 },
    );
    run = await writeBigState(server, run);
    run = await writeBigState(server, run, 'complete');
    expect(await normal.ended).toBe('complete');
    expect(versionsOf(normal)).toEqual(oneTo(run.version));
    expect(normal.errors).toEqual([]);
    // What was written after the close never reached the paused client.
    expect(paused.versions.length).toBeLessThan(run.version - 1);
    expect(await metric(server, closed, metricTransport(transport))).toBe(1);
    await vi.waitFor(
      async () => expect(await metric(server, gauge, metricTransport(transport))).toBe(0),
      { timeout: 10_000 },
    );

    // One warning, naming the transport and the client's address.
    const warnings = logLines
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.msg?.startsWith('closing a client that stopped reading'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      level: 40,
      transport: metricTransport(transport),
      clientAddress: '127.0.0.1',
      maxUnsentBytes: SMALL_BOUND,
    });
    expect(warnings[0].unsentBytes).toBeGreaterThan(SMALL_BOUND);
  }, 120_000);

  it('is kept while its unsent data stays under the bound, and gets every state on resuming', async () => {
    // The same traffic as above against a bound it does not reach: past the kernel's
    // buffers, so the server holds megabytes for the paused client, but under 64 MiB.
    const server = await app(64 * 1024 * 1024);
    let run = await storedRun(server);
    const normal = reader(transport, server, run.run_id);
    await normal.waitFor(1);
    const paused = await pausedClient(transport, server, run.run_id);

    const states = 150; // ~10 MB
    for (let i = 0; i < states; i++) {
      run = await writeBigState(server, run);
      await normal.waitFor(run.version);
    }
    run = await writeBigState(server, run, 'complete');
    expect(await normal.ended).toBe('complete');
    const closed = 'engagement_slow_clients_closed_total';
    expect(await metric(server, closed, metricTransport(transport))).toBe(0);

    paused.resume();
    const end = await paused.ended;
    expect(end.completed).toBe(true);
    expect(paused.versions).toEqual(oneTo(run.version));
  }, 120_000);
});

describe('a WebSocket client that stops reading a document of its own', () => {
  it('is closed past the bound alike', async () => {
    const server = await app(SMALL_BOUND);
    const run = await storedRun(server);
    const normal = reader('ws', server, run.run_id);
    await normal.waitFor(1);
    // Another document than the reader's: its results are executed and serialised apart.
    const query = `subscription Watch($domain: String!, $runId: ID!) {
      engagementUpdated(domain: $domain, runId: $runId) @include(if: true) { version summary { goals { text } } }
    }`;
    const paused = await pausedWebSocketClient({
      ...server,
      domain: DOMAIN,
      runId: run.run_id,
      query,
    });
    cleanups.push(() => paused.close());
    await writeUntilClosed(server, run, normal, 'ws');

    paused.resume();
    expect(await paused.ended).toMatchObject({ completed: false, closeCode: 1013 });
    await vi.waitFor(
      async () =>
        expect(await metric(server, 'engagement_open_subscriptions', 'websocket')).toBe(1),
      { timeout: 10_000 },
    );
  }, 120_000);
});

describe('a WebSocket client that stops reading and never resumes', () => {
  it('has its socket dropped when the close frame cannot get through', async () => {
    const server = await app(SMALL_BOUND);
    const run = await storedRun(server);
    const normal = reader('ws', server, run.run_id);
    await normal.waitFor(1);
    const paused = await pausedClient('ws', server, run.run_id);
    const connected = await openConnections(server);
    await writeUntilClosed(server, run, normal, 'ws');

    // The close frame sits behind data the client does not read: after the grace (5 s)
    // the server drops the socket, and the client never gets a close frame. (Well before
    // the 30 s that ws itself would wait for a close handshake.)
    await vi.waitFor(async () => expect(await openConnections(server)).toBe(connected - 1), {
      timeout: 20_000,
      interval: 200,
    });
    paused.resume();
    expect(await paused.ended).toMatchObject({ completed: false, closeCode: 1006 });
  }, 120_000);
});
