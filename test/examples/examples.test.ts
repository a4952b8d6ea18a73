import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/testApp.ts';

// The client examples in examples/, run as a developer would (`npx tsx examples/<file>.ts`),
// as child processes against the real service on the bundled demo data.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLES = ['apolloClient.ts', 'apolloHttpClient.ts', 'urqlClient.ts'];
const WEBSITE = 'https://www.northwind-logistics.com';
const DEMO_ENV = {
  MEETINGS_FILE: 'demo/meetings.json',
  SUMMARIZER: 'extractive',
  // Paces the run (about 1 s in all), so the example sees states arrive live rather than
  // joining after the run has already completed.
  DEMO_STEP_DELAY_MS: '250',
};

interface ExampleResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one example to its end; it must exit by itself (a hang is killed after 20 s). */
function runExample(file: string, args: string[], token?: string): Promise<ExampleResult> {
  const env = { ...process.env };
  delete env.ENGAGEMENT_TOKEN;
  if (token) env.ENGAGEMENT_TOKEN = token;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `examples/${file}`, ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The `v3 FETCHING_MEETINGS meetings=4` lines, in order. */
function stateLines(output: string) {
  return [...output.matchAll(/^v(\d+) ([A-Z_]+)(?: meetings=(\d+))?$/gm)].map((m) => ({
    version: Number(m[1]),
    step: m[2],
    meetings: m[3] === undefined ? null : Number(m[3]),
  }));
}

// The examples send every operation by its hash: they work whether or not the server runs
// only its trusted documents.
describe.each([
  ['the demo data', {}],
  ['the demo data with GRAPHQL_TRUSTED_DOCUMENTS=true', { GRAPHQL_TRUSTED_DOCUMENTS: 'true' }],
])('client examples on %s', (_name, trustedEnv) => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp('memory', { ...DEMO_ENV, ...trustedEnv });
  });
  afterAll(async () => {
    await server.close();
  });

  it.each(EXAMPLES)(
    '%s starts a run, prints each state live and the summary, and exits 0',
    async (file) => {
      const { code, stdout, stderr } = await runExample(file, [WEBSITE, server.url]);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toMatch(/^run [0-9a-f-]{36} for northwind-logistics\.com$/m);

      const states = stateLines(stdout);
      expect(states[0]).toEqual({ version: 1, step: 'QUEUED', meetings: null });
      expect(states.at(-1)).toMatchObject({ step: 'COMPLETE', meetings: 4 });
      const versions = states.map((s) => s.version);
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
      expect(new Set(versions).size).toBe(versions.length);
      // At least one state between the mutation's v1 and COMPLETE came over the subscription.
      expect(states.some((s) => s.step === 'FETCHING_MEETINGS' || s.step === 'SUMMARIZING')).toBe(
        true,
      );

      // The summary, after the last state: counts, then goals and challenges citing meetings.
      const summary = stdout.slice(stdout.lastIndexOf('COMPLETE meetings=4'));
      expect(summary).toMatch(/^4 meetings, 3 people$/m);
      const cited = /^(goal|challenge): \S.* \[\d+(, \d+)*\]$/gm;
      const insights = [...summary.matchAll(cited)].map((m) => m[1]);
      expect(insights.filter((kind) => kind === 'goal').length).toBeGreaterThanOrEqual(3);
      expect(insights.filter((kind) => kind === 'challenge').length).toBeGreaterThanOrEqual(3);
    },
  );

  it.each(EXAMPLES)('%s exits 1 naming BAD_USER_INPUT for an invalid website', async (file) => {
    const { code, stdout, stderr } = await runExample(file, ['not a domain', server.url]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/not a valid company domain.*BAD_USER_INPUT/);
    expect(stdout).not.toMatch(/^run /m);
  });
});

describe('client examples on a server with auth on', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp('memory', { ...DEMO_ENV, AUTH_TOKENS: 'example-token' });
  });
  afterAll(async () => {
    await server.close();
  });

  // The mutation needs the header, the subscription the connection_init payload: a run can
  // only be followed to COMPLETE when the example sends the token both ways.
  it.each(EXAMPLES)('%s sends ENGAGEMENT_TOKEN over HTTP and WebSocket', async (file) => {
    const { code, stdout, stderr } = await runExample(file, [WEBSITE, server.url], 'example-token');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stateLines(stdout).at(-1)).toMatchObject({ step: 'COMPLETE', meetings: 4 });
  });

  it.each(EXAMPLES)('%s exits 1 naming UNAUTHENTICATED without a token', async (file) => {
    const { code, stderr } = await runExample(file, [WEBSITE, server.url]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/UNAUTHENTICATED/);
  });

  it.each(EXAMPLES)('%s exits 1 naming UNAUTHENTICATED with a wrong token', async (file) => {
    const { code, stderr } = await runExample(file, [WEBSITE, server.url], 'wrong-token');
    expect(code).toBe(1);
    expect(stderr).toMatch(/UNAUTHENTICATED/);
  });
});
