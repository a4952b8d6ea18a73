import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { zodResponseFormat } from 'openai/helpers/zod';
import { afterEach, describe, expect, it } from 'vitest';
import { NODE_BUNDLE_OPTIONS } from '../../scripts/nodeBundleOptions.ts';
import { copyRedisScripts } from '../../scripts/redisScripts.ts';
import { llmAnswerSchema } from '../../src/pipeline/summarizer/llmAnswer.ts';
import { startFakeOpenAI } from '../../support/fakes/fakeOpenAI.ts';
import { ReferenceTokenCounter } from '../support/referenceTokenCounter.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUDGET = 1000;

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * The service bundled by esbuild with its packages external and run by plain node, as
 * `npm start` runs it: the token counter must find its ranks file in node_modules.
 */
async function bundleService(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'engagement-bundle-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  await build({
    entryPoints: [join(ROOT, 'src/main.ts')],
    outfile: join(dir, 'main.mjs'),
    ...NODE_BUNDLE_OPTIONS,
  });
  // Packages resolve from the bundle's directory upwards, as from dist/ in the project.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await copyRedisScripts(pathToFileURL(join(dir, 'lua/')));
  return join(dir, 'main.mjs');
}

function startService(entry: string, env: Record<string, string>): Promise<string> {
  const child: ChildProcess = spawn(process.execPath, [entry], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output)?.[1];
      if (url) resolve(url);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`service exited with ${code}:\n${output}`)));
  });
}

describe('the bundled service', () => {
  it('counts tokens with its ranks from node_modules and packs requests under the budget', async () => {
    const openai = await startFakeOpenAI();
    cleanups.push(() => openai.close());
    const url = await startService(await bundleService(), {
      MEETINGS_FILE: join(ROOT, 'demo/meetings.json'),
      SUMMARIZER: 'openai',
      OPENAI_API_KEY: 'openai-test-key',
      OPENAI_BASE_URL: openai.baseUrl,
      LLM_INPUT_BUDGET_TOKENS: String(BUDGET),
      LOG_LEVEL: 'info',
    });

    const domain = 'northwind-logistics.com';
    const started = await fetch(`${url}/make-server-888f4514/engagement-summary`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ domain }),
    }).then((r) => r.json() as Promise<{ run_id: string }>);
    let record: { status: string; error?: string | null } | undefined;
    // Generous: the run itself is bounded by the service's RUN_TIMEOUT_MS.
    for (let i = 0; i < 600 && !['complete', 'error'].includes(record?.status ?? ''); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const status = await fetch(
        `${url}/make-server-888f4514/engagement-status?domain=${domain}&run_id=${started.run_id}`,
      );
      [record] = (await status.json()) as Array<typeof record>;
    }
    expect(record).toMatchObject({ status: 'complete', error: null });

    // The requests as they arrived, measured with the reference counter.
    expect(openai.requests.length).toBeGreaterThan(1);
    const reference = new ReferenceTokenCounter();
    cleanups.push(() => reference.free());
    const schemaTokens = reference.count(
      JSON.stringify(zodResponseFormat(llmAnswerSchema, 'engagement_insights').json_schema),
    );
    for (const request of openai.requests) {
      const messages = request.body.messages;
      const tokens =
        3 + schemaTokens + messages.reduce((sum, m) => sum + 4 + reference.count(m.content), 0);
      expect(tokens).toBeLessThanOrEqual(BUDGET);
    }
  }, 120_000);
});
