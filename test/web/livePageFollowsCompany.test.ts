import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  documentIdOf,
  EngagementsUpdatedDocument,
  EngagementUpdatedDocument,
} from '../../src/generated/graphql.ts';
import type { RunRecord } from '../../src/model/runRecord.ts';
import { type FakeFathom, startFakeFathom } from '../../support/fakes/fakeFathom.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../../support/fakes/fakeOpenAI.ts';
import { buildMeetings } from '../../support/fakes/fathomFixtures.ts';
import { signedDelivery, webhookKey } from '../support/fathomWebhookSigning.ts';
import { runToEnd } from '../support/runHelpers.ts';
import { newestWithNewPerson } from '../support/serviceOnFakes.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';
import {
  launchBrowser,
  type OpenedPage,
  openPage,
  statesReceived,
  subscribesTo,
  waitForConnection,
} from './browser.ts';

/**
 * The live page open on a company follows it: a run started elsewhere (here by a Fathom
 * webhook, after a new meeting with the company) arrives on screen by itself, goes through
 * its stages to its summary, says what changed since the previous run and marks what is new.
 */

const ARTIFACTS = 'test/artifacts';
const DOMAIN = 'acme.com';
const DAY_MS = 24 * 60 * 60 * 1000;

/** Acme's meetings, oldest first; the newest one brings a person never met before. */
const acmeMeetings = () =>
  newestWithNewPerson(
    buildMeetings({
      companies: [{ domain: DOMAIN, people: [{ name: 'Jane Doe', email: 'jane@acme.com' }] }],
      meetingsPerCompany: 3,
    }),
  );

describe('the live page open on a company', () => {
  const { key, secret } = webhookKey();
  const { earlier, newest } = acmeMeetings();
  let fathom: FakeFathom;
  let openai: FakeOpenAI;
  let server: TestApp;
  let browser: Browser;
  let opened: OpenedPage | undefined;

  beforeAll(async () => {
    browser = await launchBrowser();
    fathom = await startFakeFathom({ meetings: [...earlier] });
    openai = await startFakeOpenAI({});
    server = await startTestApp('memory', {
      FATHOM_API_KEY: 'fathom-test-key',
      FATHOM_BASE_URL: fathom.baseUrl,
      OPENAI_API_KEY: 'openai-test-key',
      OPENAI_BASE_URL: openai.baseUrl,
      FATHOM_WEBHOOK_SECRET: secret,
      // Spaces the pipeline's steps so that the new run's stages can be seen arriving.
      DEMO_STEP_DELAY_MS: '200',
    });
  }, 11 * 60_000);

  afterAll(async () => {
    await opened?.close();
    await browser?.close();
    await server?.close();
    await fathom?.close();
    await openai?.close();
  });

  /**
   * A COMPLETE run of the company on its earlier meetings, dated three days back (the run is
   * real; only its record is moved in time), as a team would have left it.
   */
  async function completeRunThreeDaysAgo(): Promise<RunRecord> {
    const states = await runToEnd(server.app, DOMAIN);
    const done = states.at(-1) as RunRecord;
    expect(done.status).toBe('complete');
    const createdAt = new Date(Date.now() - 3 * DAY_MS);
    const moved: RunRecord = {
      ...done,
      run_id: crypto.randomUUID(),
      version: 1,
      created_at: createdAt.toISOString(),
      updated_at: new Date(createdAt.getTime() + 60_000).toISOString(),
      deadline_at: new Date(createdAt.getTime() + 60_000).toISOString(),
    };
    expect(await server.app.backend.store.write(moved)).toEqual({ ok: true });
    expect(await server.app.services.runs.delete(DOMAIN, done.run_id)).toBe(true);
    return moved;
  }

  it('shows a webhook-started run arriving by itself, what changed, and the new insight', async () => {
    const previous = await completeRunThreeDaysAgo();
    opened = await openPage(browser, `${server.url}/?domain=${DOMAIN}&run=${previous.run_id}`);
    const { page, problems, framesSent, framesReceived } = opened;
    await waitForConnection(page, 'connected');
    await page
      .locator('[data-testid="run-status"][data-status="COMPLETE"]')
      .waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('meetings-count').textContent()).toBe(String(earlier.length));
    // The first run of the company has nothing to compare with.
    expect(await page.getByTestId('changes').count()).toBe(0);
    // Marks this document: a reload would lose it.
    await page.evaluate(() => {
      (window as unknown as { sameDocument: boolean }).sameDocument = true;
    });

    // Fathom reports a new meeting with the company.
    fathom.meetings.push(newest);
    const body = JSON.stringify(newest);
    const response = await fetch(`${server.url}/webhooks/fathom`, {
      method: 'POST',
      headers: signedDelivery(body, key).headers,
      body,
    });
    expect(response.status).toBe(202);

    // The new run takes the screen by itself and goes through its stages to COMPLETE.
    await page.waitForURL((url) => {
      const run = url.searchParams.get('run');
      return run !== null && run !== previous.run_id;
    });
    expect(await page.getByTestId('run-origin').textContent()).toBe(
      'Started by a new Fathom meeting',
    );
    await page
      .locator('[data-testid="run-status"][data-status="COMPLETE"]')
      .waitFor({ timeout: 20_000 });
    const newRunId = new URL(page.url()).searchParams.get('run') as string;
    const stored = await server.app.services.runs.get(DOMAIN, newRunId);
    expect(stored).toMatchObject({ status: 'complete', trigger: 'webhook' });
    const log = await page
      .locator('[data-testid="log-entry"]')
      .evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.stage));
    expect(log[0]).toBe('QUEUED');
    expect(log.at(-1)).toBe('DONE');
    // Both runs came over one subscription, the company's, each state of them once.
    expect(subscribesTo(framesSent, documentIdOf(EngagementsUpdatedDocument))).toHaveLength(1);
    expect(subscribesTo(framesSent, documentIdOf(EngagementUpdatedDocument))).toHaveLength(0);
    const delivered = statesReceived(framesReceived, 'engagementsUpdated');
    expect(new Set(delivered).size).toBe(delivered.length);
    expect(delivered.filter((state) => state.startsWith(`${newRunId}@`)).length).toBe(log.length);
    expect(await page.evaluate(() => (window as { sameDocument?: boolean }).sameDocument)).toBe(
      true,
    );

    // What changed since the previous run, in words.
    expect(await page.getByTestId('meetings-count').textContent()).toBe(String(earlier.length + 1));
    expect(await page.getByTestId('changes').textContent()).toBe(
      '1 new meeting, 1 new person since 3 days ago',
    );

    // The insight drawn from the new meeting alone is marked new; the others are not.
    const insights = await page
      .locator('[data-testid="goal"], [data-testid="challenge"]')
      .evaluateAll((items) =>
        items.map((item) => ({
          isNew: (item as HTMLElement).dataset.new === 'true',
          pill: item.querySelector('[data-testid="new-insight"]')?.textContent ?? null,
          cites: [...item.querySelectorAll<HTMLElement>('[data-testid="citation"]')].map(
            (chip) => chip.dataset.meetingId,
          ),
        })),
      );
    const marked = insights.filter((insight) => insight.isNew);
    expect(marked.length).toBeGreaterThan(0);
    for (const insight of marked) {
      expect(insight.pill).toBe('New');
      expect(insight.cites).toEqual([String(newest.recording_id)]);
    }
    for (const insight of insights.filter((i) => !i.isNew)) {
      expect(insight.pill).toBeNull();
      expect(insight.cites).not.toEqual([String(newest.recording_id)]);
    }

    // The earlier runs list holds both runs, the new one shown.
    await expect
      .poll(() => page.locator('[data-testid="earlier-run"]').count(), { timeout: 5_000 })
      .toBe(2);
    expect(
      await page
        .locator(`[data-testid="earlier-run"][data-run-id="${newRunId}"]`)
        .getAttribute('aria-current'),
    ).toBe('true');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({
      path: `${ARTIFACTS}/live-page-webhook-run.png`,
      fullPage: true,
      animations: 'disabled',
    });
    expect(problems).toEqual([]);
    // A run, a browser and a webhook's run on a 2-core machine shared with other suites.
  }, 90_000);
});
