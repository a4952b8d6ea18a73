import type { Agent } from 'node:http';
import type { Socket } from 'node:net';
import type { Client as WsClient } from 'graphql-ws';
import { Redis } from 'ioredis';
import { mapLimit, nowMs, sleep } from '../stats.ts';
import {
  countingWebSocket,
  isTerminalStatus,
  runWatchClient,
  START_MUTATION,
  STATUS_QUERY,
  watchRun,
  watchRunOn,
} from './graphql.ts';
import { keepAliveAgent, postJson } from './http.ts';

/**
 * Client side of the subscriptions-vs-polling benchmark. One worker starts its share of the
 * runs (one start mutation each, like a front end) and then learns how each ends, by
 * polling `engagementStatus` every interval, by one WebSocket subscription per run, or not at
 * all ('none': the reference for the service's own cost of executing the runs). A raw
 * pattern subscriber on the deployment's run channels stamps each terminal write.
 */

export type WatchMode = 'poll' | 'subscribe' | 'none';

export interface WatchParams {
  mode: WatchMode;
  runs: number;
  worker: number;
  /** Where the start mutations go: the service. */
  graphqlUrl: string;
  /** Where polls go (the service, or the floor server). */
  pollUrl: string;
  /** Where subscriptions go (the service, or the floor server). */
  wsUrl: string;
  redisUrl: string;
  kvPrefix: string;
  startSpreadMs: number;
  pollIntervalMs: number;
  /**
   * Runs each front end watches over its one connection (a keep-alive connection it polls
   * on, or a WebSocket carrying its subscriptions); 1: a front end per run.
   */
  runsPerFrontEnd: number;
  timeoutMs: number;
}

export interface WatchResult {
  started: number;
  known: number;
  /** Per run: ms from the terminal write (raw subscriber) to this client knowing it. */
  knowMs: number[];
  /** Watching requests: polls, or subscribe operations. */
  requests: number;
  /** Bytes on the wire, both directions, of the watching connections (not the starts). */
  bytes: number;
  /** GraphQL results received while watching (poll responses or subscription events). */
  messages: number;
  errors: string[];
}

/** A front end: its runs still watched, and its one connection. */
interface FrontEnd {
  runs: number;
  agent?: Agent;
  client?: WsClient;
}

type RunStartResponse = {
  data?: { startEngagementSummary?: { runId: string } };
  errors?: unknown;
};
type StatusResponse = {
  data?: { engagementStatus?: Array<{ status: string; version: number }> };
  errors?: unknown;
};

async function watch(params: WatchParams): Promise<WatchResult> {
  const terminalAt = new Map<string, number>();
  const knownAt = new Map<string, number>();
  const errors: string[] = [];
  const note = (message: string) => {
    if (errors.length < 10) errors.push(message);
  };

  const raw = new Redis(params.redisUrl, { connectionName: 'bench-raw-pattern' });
  raw.on('pmessage', (_pattern: string, _channel: string, message: string) => {
    const at = nowMs();
    const record = JSON.parse(message) as { run_id: string; status?: string };
    if (record.status && record.status !== 'processing' && !terminalAt.has(record.run_id)) {
      terminalAt.set(record.run_id, at);
    }
  });
  await raw.psubscribe(`${params.kvPrefix}engagement-updates:*`);

  const startAgent = keepAliveAgent(32);
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => sockets.add(socket);
  const TrackedWebSocket = countingWebSocket(track);
  let requests = 0;
  let messages = 0;
  const runIds: string[] = [];

  /** The connection each front end watches its runs over, closed after its last run. */
  const frontEnds = new Map<number, FrontEnd>();
  const frontEnd = (index: number): FrontEnd => {
    const id = Math.floor(index / params.runsPerFrontEnd);
    let entry = frontEnds.get(id);
    if (!entry) {
      entry = { runs: 0 };
      frontEnds.set(id, entry);
    }
    entry.runs++;
    return entry;
  };
  const leave = (index: number) => {
    const id = Math.floor(index / params.runsPerFrontEnd);
    const entry = frontEnds.get(id);
    if (!entry) return;
    entry.runs--;
    if (entry.runs > 0) return;
    frontEnds.delete(id);
    entry.agent?.destroy();
    // The lazy client closes its socket after its last subscription; dispose makes sure.
    const client = entry.client;
    if (client) setTimeout(() => void client.dispose(), 100);
  };

  const poll = async (index: number, domain: string, runId: string) => {
    // Each front end polls each of its runs at its own phase, over its one keep-alive
    // connection; in step with the scripted pipeline's timing, every poll would land just
    // after each write.
    const owner = frontEnd(index);
    owner.agent ??= keepAliveAgent(1);
    const agent = owner.agent;
    let wait = Math.random() * params.pollIntervalMs;
    try {
      for (;;) {
        await sleep(wait);
        wait = params.pollIntervalMs;
        requests++;
        try {
          const response = await postJson<StatusResponse>(
            agent,
            params.pollUrl,
            { query: STATUS_QUERY, variables: { domain, runId } },
            track,
          );
          messages++;
          const status = response.body.data?.engagementStatus?.[0]?.status;
          if (status && isTerminalStatus(status)) {
            knownAt.set(runId, nowMs());
            return;
          }
          if (response.body.errors) note(JSON.stringify(response.body.errors).slice(0, 200));
        } catch (error) {
          note(String(error));
        }
      }
    } finally {
      leave(index);
    }
  };

  const subscribe = (index: number, domain: string, runId: string) =>
    new Promise<void>((resolve) => {
      requests++;
      const owner = frontEnd(index);
      owner.client ??= runWatchClient(
        params.wsUrl,
        (error) => note(JSON.stringify(error).slice(0, 200)),
        TrackedWebSocket,
      );
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        unsubscribe();
        leave(index);
        resolve();
      };
      const unsubscribe = watchRunOn(
        owner.client,
        { domain, runId },
        {
          next(event) {
            messages++;
            if (isTerminalStatus(event.status) && !knownAt.has(runId)) {
              knownAt.set(runId, nowMs());
            }
          },
          error(error) {
            note(JSON.stringify(error).slice(0, 200));
            finish();
          },
          complete: finish,
        },
      );
    });

  const one = async (index: number) => {
    await sleep(Math.random() * params.startSpreadMs);
    const domain = `w${params.worker}-r${index}.bench-example.com`;
    const response = await postJson<RunStartResponse>(startAgent, params.graphqlUrl, {
      query: START_MUTATION,
      variables: { domain },
    });
    const runId = response.body.data?.startEngagementSummary?.runId;
    if (!runId) {
      note(`start failed: ${JSON.stringify(response.body).slice(0, 200)}`);
      return;
    }
    runIds.push(runId);
    if (params.mode === 'poll') await poll(index, domain, runId);
    else if (params.mode === 'subscribe') await subscribe(index, domain, runId);
    else while (!terminalAt.has(runId)) await sleep(100);
  };

  await Promise.race([
    Promise.all(Array.from({ length: params.runs }, (_, i) => one(i))),
    sleep(params.timeoutMs).then(() => note('timed out')),
  ]);

  const knowMs: number[] = [];
  for (const [runId, at] of knownAt) {
    const written = terminalAt.get(runId);
    if (written !== undefined) knowMs.push(at - written);
  }
  let bytes = 0;
  for (const socket of sockets) bytes += socket.bytesRead + socket.bytesWritten;
  startAgent.destroy();
  await raw.quit();
  return {
    started: runIds.length,
    known: params.mode === 'none' ? runIds.filter((id) => terminalAt.has(id)).length : knownAt.size,
    knowMs,
    requests,
    bytes,
    messages,
    errors,
  };
}

/**
 * Brings a fresh server to steady state before it is measured: starts a run (on the
 * service), polls it and subscribes to it (then leaves) `cycles` times each, so that every
 * side's window starts with the polling and the subscribing code equally compiled and
 * optimised.
 */
async function warmUp(params: {
  graphqlUrl: string;
  pollUrl: string;
  wsUrl: string;
  cycles: number;
}) {
  const agent = keepAliveAgent(8);
  try {
    const domain = 'warm-up.bench-example.com';
    const started = await postJson<RunStartResponse>(agent, params.graphqlUrl, {
      query: START_MUTATION,
      variables: { domain },
    });
    const runId = started.body.data?.startEngagementSummary?.runId;
    if (!runId) throw new Error(`warm-up start failed: ${JSON.stringify(started.body)}`);
    await mapLimit(Array.from({ length: params.cycles }), 8, async () => {
      await postJson(agent, params.pollUrl, {
        query: STATUS_QUERY,
        variables: { domain, runId },
      });
    });
    await mapLimit(
      Array.from({ length: params.cycles }),
      8,
      () =>
        new Promise<void>((resolve) => {
          const dispose = watchRun(
            'ws',
            params,
            { domain, runId },
            {
              next() {
                dispose();
                resolve();
              },
              error() {
                dispose();
                resolve();
              },
              complete: () => resolve(),
            },
          );
        }),
    );
  } finally {
    agent.destroy();
  }
}

export const watchHandlers = { 'watch.run': watch, 'watch.warmUp': warmUp };
