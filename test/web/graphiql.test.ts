import { mkdirSync } from 'node:fs';
import { parse, validate } from 'graphql';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAPHIQL_EXAMPLE_OPERATIONS } from '../../src/http/graphiql.ts';
import { buildSchema } from '../../src/schema/index.ts';
import { ScriptedPipeline, sampleSummary } from '../../support/scriptedPipeline.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';
import { launchBrowser, type OpenedPage, openPage } from './browser.ts';

/**
 * GraphiQL at /graphql, used in Chromium as a new user would: it opens on the service's
 * own operations, a run started there can be watched there, and its states stream into
 * the result pane until COMPLETE, with and without auth.
 */

const ARTIFACTS = 'test/artifacts';
/** GraphiQL's bundle is ~9 MB of script: give a busy machine time to load it. */
const LOAD_TIMEOUT = 60_000;

/** The text of one of GraphiQL's editors (Monaco renders spaces as U+00A0). */
function editorText(page: Page, selector: string): Promise<string> {
  return (
    page
      .locator(`${selector} .view-lines`)
      // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText(), not the DOM property; it keeps the line breaks between Monaco's line elements.
      .innerText()
      .then((text) => text.replace(/\u00a0/g, ' '))
  );
}

const QUERY_EDITOR = '.graphiql-query-editor';
const RESULT_PANE = '.graphiql-response';
const TOOL_EDITOR = '.graphiql-editor-tool .graphiql-editor:not(.hidden)';

async function openGraphiQL(browser: Browser, url: string): Promise<OpenedPage> {
  const opened = await openPage(browser, url);
  await opened.page
    .locator(`${QUERY_EDITOR} .view-line`, { hasText: 'startEngagementSummary' })
    .waitFor({ timeout: LOAD_TIMEOUT });
  return opened;
}

/** Runs the operation whose text contains `marker`: the cursor in it, then Ctrl-Enter. */
async function runOperation(page: Page, marker: string): Promise<void> {
  // The editor renders only the lines in view: page down until the operation shows.
  const line = page.locator(`${QUERY_EDITOR} .view-line`, { hasText: marker }).first();
  await page.locator(`${QUERY_EDITOR} .view-lines`).click();
  await page.keyboard.press('Control+Home');
  // Each PageDown is rendered a moment later: look (waiting that moment) before the next one,
  // or a quick run of presses scrolls past the operation to the end of the document.
  const shows = () =>
    line.waitFor({ state: 'visible', timeout: 1_000 }).then(
      () => true,
      () => false,
    );
  for (let presses = 0; presses < 20 && !(await shows()); presses += 1) {
    await page.keyboard.press('PageDown');
  }
  await line.click();
  await page.keyboard.press('Control+Enter');
}

/** Replaces the content of the Variables or Headers pane. */
async function fillToolPane(page: Page, pane: 'Variables' | 'Headers', json: string) {
  await page.getByRole('button', { name: pane, exact: true }).click();
  await page.locator(`${TOOL_EDITOR} .view-lines`).click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(json);
}

/** Waits until the result pane shows every one of `texts`, and returns what it shows. */
async function waitForResult(page: Page, ...texts: string[]): Promise<string> {
  await page.waitForFunction(
    ({ selector, expected }) => {
      // biome-ignore lint/performance/useDomNodeTextContent: the rendered text, with a line break per Monaco line; textContent runs the lines together.
      const shown = document.querySelector<HTMLElement>(selector)?.innerText ?? '';
      const text = shown.replace(/\u00a0/g, ' ');
      return expected.every((t) => text.includes(t));
    },
    { selector: `${RESULT_PANE} .view-lines`, expected: texts },
    { timeout: 20_000 },
  );
  return editorText(page, RESULT_PANE);
}

function versionShown(result: string): number {
  return Number(/"version": (\d+)/.exec(result)?.[1]);
}

async function startRun(page: Page): Promise<string> {
  await runOperation(page, 'startEngagementSummary');
  const result = await waitForResult(page, '"runId": "');
  const runId = /"runId": "([0-9a-f-]{36})"/.exec(result)?.[1];
  expect(runId).toBeDefined();
  return runId as string;
}

/** GraphiQL shows a stop button while a subscription is open; the run button once it ended. */
async function waitForStreamEnd(page: Page): Promise<void> {
  await page
    .getByRole('button', { name: 'Execute query (Ctrl-Enter)' })
    .waitFor({ timeout: 20_000 });
}

it('opens on example operations that are valid against the schema', () => {
  const errors = validate(buildSchema(), parse(GRAPHIQL_EXAMPLE_OPERATIONS));
  expect(errors.map((e) => e.message)).toEqual([]);
  const operations = parse(GRAPHIQL_EXAMPLE_OPERATIONS).definitions.map((d) =>
    'operation' in d ? `${d.operation} ${d.name?.value}` : d.kind,
  );
  expect(operations).toEqual(['mutation Start', 'subscription Watch', 'query Status']);
});

describe('GraphiQL in Chromium', () => {
  let server: TestApp;
  let browser: Browser;
  const pipeline = new ScriptedPipeline();
  const opened: OpenedPage[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    server = await startTestApp('memory', {}, { pipeline });
  }, 11 * 60_000);

  afterAll(async () => {
    await Promise.all(opened.map((o) => o.close()));
    await browser?.close();
    await server?.close();
  });

  it('starts a run, then streams its states into the result pane until COMPLETE', async () => {
    const o = await openGraphiQL(browser, `${server.graphqlUrl}`);
    opened.push(o);
    const { page, problems } = o;
    const subscriptionRequests: Array<{ method: string; status: number; type: string }> = [];
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (url.pathname === '/graphql' && url.searchParams.get('query')?.includes('Watch')) {
        subscriptionRequests.push({
          method: response.request().method(),
          status: response.status(),
          type: response.headers()['content-type'] ?? '',
        });
      }
    });

    // Our title and our operations, not Yoga's welcome text.
    expect(await page.title()).toBe('Engagement Summary');
    const editor = await editorText(page, QUERY_EDITOR);
    // (The editor renders only the lines in view: "Watch" and "Status" are found below.)
    expect(editor).toMatch(/^# Engagement Summary/);
    expect(editor).toContain('mutation Start');
    expect(editor).not.toContain('Welcome to');

    const runId = await startRun(page);
    const run = await pipeline.started(runId);

    await fillToolPane(page, 'Variables', JSON.stringify({ runId }));
    await runOperation(page, 'engagementUpdated');
    // First the run's current state, then each new one as the pipeline writes it.
    const first = await waitForResult(page, '"status": "PROCESSING"', '"stage": "QUEUED"');
    expect(await page.getByRole('button', { name: 'Stop query' }).isVisible()).toBe(true);

    await run.report({ stage: 'fetching_meetings', meetingsFound: 1 });
    const fetching = await waitForResult(
      page,
      '"stage": "FETCHING_MEETINGS"',
      '"meetingsFound": 1',
    );
    await run.report({ stage: 'summarizing' });
    const summarizing = await waitForResult(page, '"stage": "SUMMARIZING"');
    run.finish(sampleSummary());
    const complete = await waitForResult(
      page,
      '"status": "COMPLETE"',
      '"stage": "DONE"',
      'Cut onboarding time in half',
    );
    const versions = [first, fetching, summarizing, complete].map(versionShown);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(4);
    // The stream ended by itself after COMPLETE.
    await waitForStreamEnd(page);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}/graphiql-subscription.png` });

    // It went over SSE, through CSRF prevention, without being refused.
    expect(subscriptionRequests).toEqual([
      { method: 'GET', status: 200, type: expect.stringContaining('text/event-stream') },
    ]);

    // "Status" polls the same run: a list holding it.
    await runOperation(page, 'engagementStatus');
    const status = await waitForResult(page, '"engagementStatus": [', '"status": "COMPLETE"');
    expect(status).toContain('"stage": "DONE"');
    expect(problems).toEqual([]);
  }, 120_000);
});

describe('GraphiQL in Chromium when the server requires a token', () => {
  let server: TestApp;
  let browser: Browser;
  let opened: OpenedPage | undefined;

  beforeAll(async () => {
    browser = await launchBrowser();
    server = await startTestApp(
      'memory',
      { AUTH_TOKENS: 'graphiql-test-token' },
      { pipeline: new ScriptedPipeline({ stepDelayMs: 50, summary: sampleSummary() }) },
    );
  }, 11 * 60_000);

  afterAll(async () => {
    await opened?.close();
    await browser?.close();
    await server?.close();
  });

  it('says a token is needed, then works with one in the Headers pane', async () => {
    opened = await openGraphiQL(browser, `${server.graphqlUrl}`);
    const { page } = opened;

    await runOperation(page, 'startEngagementSummary');
    await waitForResult(page, '"code": "UNAUTHENTICATED"');

    await fillToolPane(page, 'Headers', '{ "Authorization": "Bearer graphiql-test-token" }');
    const runId = await startRun(page);
    await fillToolPane(page, 'Variables', JSON.stringify({ runId }));
    await runOperation(page, 'engagementUpdated');
    const complete = await waitForResult(page, '"status": "COMPLETE"', '"stage": "DONE"');
    expect(complete).not.toContain('UNAUTHENTICATED');
    await waitForStreamEnd(page);
  }, 120_000);
});
