import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  ENGAGEMENT_UPDATED,
  graphqlRequest,
  START,
  subscribe,
} from '../../support/graphqlClients.ts';
import { freePort } from '../../support/redisServer.ts';
import { BACKENDS, startTestApp } from '../support/testApp.ts';

describe.each(BACKENDS)('start rate limit on %s', (backend) => {
  it('refuses starts past START_RATE_LIMIT per minute with RATE_LIMITED and writes nothing', async () => {
    const server = await startTestApp(backend, { START_RATE_LIMIT: '3' });
    try {
      for (let i = 0; i < 3; i++) {
        const ok = await graphqlRequest(server.graphqlUrl, START, { domain: 'limited.com' });
        expect(ok.errors).toBeUndefined();
      }
      const refused = await graphqlRequest(server.graphqlUrl, START, { domain: 'limited.com' });
      expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      const rest = await fetch(`${server.url}/make-server-888f4514/engagement-summary`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ domain: 'limited.com' }),
      });
      expect(rest.status).toBe(429);
      expect(Number(rest.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await server.app.services.runs.list('limited.com', 100)).toHaveLength(3);
    } finally {
      await server.close();
    }
  });
});

describe.each(BACKENDS)('start rate limit per token on %s', (backend) => {
  it('gives each token its own START_RATE_LIMIT', async () => {
    const server = await startTestApp(backend, {
      START_RATE_LIMIT: '2',
      AUTH_TOKENS: 'token-of-team-a-0123456789,token-of-team-b-0123456789',
    });
    const start = (team: string, domain: string) =>
      graphqlRequest(
        server.graphqlUrl,
        START,
        { domain },
        {
          authorization: `Bearer token-of-team-${team}-0123456789`,
        },
      );
    try {
      for (let i = 0; i < 2; i++) {
        expect((await start('a', 'team-a.com')).errors).toBeUndefined();
      }
      const refused = await start('a', 'team-a-third.com');
      expect(refused.data ?? null).toBeNull();
      expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      expect(await server.app.services.runs.list('team-a-third.com', 10)).toEqual([]);
      expect(await server.app.services.runs.list('team-a.com', 10)).toHaveLength(2);

      // The other token's budget is untouched by the first one's.
      for (let i = 0; i < 2; i++) {
        expect((await start('b', 'team-b.com')).errors).toBeUndefined();
      }
      expect((await start('b', 'team-b.com')).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      expect(await server.app.services.runs.list('team-b.com', 10)).toHaveLength(2);
    } finally {
      await server.close();
    }
  });
});

describe('src/main.ts from the sources (npm run dev)', () => {
  it('serves on the embedded default and shuts down cleanly on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, PORT: String(port), LOG_LEVEL: 'info', REDIS_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await expect.poll(() => output, { timeout: 20_000 }).toContain('listening');
      const url = `http://127.0.0.1:${port}`;
      const started = await graphqlRequest<{ startEngagementSummary: { runId: string } }>(
        `${url}/graphql`,
        START,
        { domain: 'acme.com' },
      );
      const runId = started.data?.startEngagementSummary.runId as string;
      // With no FATHOM_API_KEY the run ends as ERROR naming the variable.
      const sub = subscribe(
        { transport: 'ws', graphqlUrl: `${url}/graphql`, wsUrl: `ws://127.0.0.1:${port}/graphql` },
        ENGAGEMENT_UPDATED,
        { domain: 'acme.com', runId },
      );
      expect(await sub.ended).toBe('complete');
      const last = sub.events.at(-1) as { engagementUpdated: { status: string; error: string } };
      expect(last.engagementUpdated.status).toBe('ERROR');
      expect(last.engagementUpdated.error).toContain('FATHOM_API_KEY');

      // An open WebSocket is closed with 1001 (going away) rather than dropped.
      const socket = new WebSocket(`ws://127.0.0.1:${port}/graphql`, 'graphql-transport-ws');
      const acked = new Promise((resolve) => socket.on('message', resolve));
      const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
      await acked;
      child.kill('SIGTERM');
      expect(await closed).toBe(1001);
      expect(await exited).toBe(0);
      const lines = output
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { msg: string });
      expect(lines.map((l) => l.msg)).toContain('shutting down');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
