import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import {
  ENGAGEMENT_UPDATED,
  graphqlRequest,
  START,
  subscribe,
} from '../../support/graphqlClients.ts';
import { processTree } from '../../support/processStats.ts';
import { freePort } from '../../support/redisServer.ts';
import { uniquePrefix } from '../support/testApp.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'compiled-start-test-token';

/** The NUL-separated argv of a process, as the kernel holds it. */
function commandLine(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

function environment(pid: number): Record<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return Object.fromEntries(
    entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // ESRCH: no such process
  }
}

describe('npm start', () => {
  it('builds, then serves the compiled service under plain node and stops on SIGTERM', async () => {
    const port = await freePort();
    // What a deployment gives it: Redis (so the Lua scripts are read from dist/), auth on.
    const npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        REDIS_URL: inject('redisUrl'),
        KV_PREFIX: uniquePrefix(),
        AUTH_TOKENS: TOKEN,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (chunk) => (output += chunk));
    npm.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => npm.once('exit', resolve));
    let serving: number | undefined;
    try {
      await expect.poll(() => output, { timeout: 90_000, interval: 200 }).toContain('listening');
      const url = `http://127.0.0.1:${port}`;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);

      // The serving process is node running dist/main.js, with no TypeScript loader.
      const tree = processTree(npm.pid as number).slice(1);
      const servers = tree.filter((pid) =>
        commandLine(pid).some((a) => a.endsWith('dist/main.js')),
      );
      expect(servers).toHaveLength(1);
      serving = servers[0] as number;
      const argv = commandLine(serving);
      expect(argv[0]).toMatch(/(^|\/)node$/);
      expect(argv.join(' ')).not.toMatch(/tsx|--import|--loader|--require|--experimental-loader/);
      expect(environment(serving).NODE_OPTIONS ?? '').not.toMatch(/tsx|--import|--loader/);

      // The live page and its script come from dist/, and nothing is bundled at run time:
      // esbuild's API would start an `esbuild --service` child process.
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      const html = await page.text();
      const script = html.match(/<script type="module" src="(\/assets\/app\.[0-9a-f]+\.js)"/)?.[1];
      expect(script).toBeDefined();
      const bundle = await fetch(`${url}${script}`);
      expect(bundle.status).toBe(200);
      expect(bundle.headers.get('content-type')).toContain('text/javascript');
      expect(await bundle.text()).toContain('engagementsUpdated');
      expect(processTree(serving)).toEqual([serving]);

      // GraphQL with auth on: refused without the token; with it, a run is written through
      // writeRun.lua and watched to its end (no FATHOM_API_KEY: ERROR naming it).
      const refused = await graphqlRequest(`${url}/graphql`, START, { domain: 'acme.com' });
      expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const auth = { authorization: `Bearer ${TOKEN}` };
      const started = await graphqlRequest<{ startEngagementSummary: { runId: string } }>(
        `${url}/graphql`,
        START,
        { domain: 'https://www.acme.com' },
        auth,
      );
      expect(started.errors).toBeUndefined();
      const runId = started.data?.startEngagementSummary.runId as string;
      const watch = subscribe(
        {
          transport: 'ws',
          graphqlUrl: `${url}/graphql`,
          wsUrl: `ws://127.0.0.1:${port}/graphql`,
          token: TOKEN,
        },
        ENGAGEMENT_UPDATED,
        { domain: 'acme.com', runId },
      );
      expect(await watch.ended).toBe('complete');
      const last = watch.events.at(-1) as { engagementUpdated: { status: string; error: string } };
      expect(last.engagementUpdated.status).toBe('ERROR');
      expect(last.engagementUpdated.error).toContain('FATHOM_API_KEY');

      // SIGTERM to npm reaches the server (npm start execs node), which shuts down cleanly.
      npm.kill('SIGTERM');
      expect(await exited).toBe(0);
      await expect.poll(() => alive(serving as number), { timeout: 10_000 }).toBe(false);
      expect(output).toContain('"msg":"shutting down"');
    } finally {
      npm.kill('SIGKILL');
      if (serving && alive(serving)) process.kill(serving, 'SIGKILL');
    }
  }, 120_000);
});
