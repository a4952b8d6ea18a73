import { mkdirSync, readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  documentIdOf,
  EngagementsUpdatedDocument,
  EngagementUpdatedDocument,
  StartEngagementSummaryDocument,
} from '../../src/generated/graphql.ts';
import { FileMeetingSource } from '../../src/pipeline/meetingSource.ts';
import { MeetingSummaryPipeline } from '../../src/pipeline/meetingSummaryPipeline.ts';
import { ExtractiveSummarizer } from '../../src/pipeline/summarizer/extractiveSummarizer.ts';
import type { Summarizer } from '../../src/pipeline/summarizer/summarizer.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';
import {
  browserSuite,
  launchBrowser,
  type OpenedPage,
  openPage,
  PHONE,
  progressSeen,
  statesReceived,
  subscribesTo,
  waitForConnection,
} from './browser.ts';

/**
 * The live page in a real Chromium against the real service on the bundled demo meetings:
 * what a person sees while a run goes through its stages, the finished summary, and the
 * errors they can run into.
 */

const ARTIFACTS = 'test/artifacts';
const BUTTON = 'Generate meeting summary';
const TOKEN_MESSAGE = 'The server needs a valid access token';

interface LogEntry {
  version: number;
  stage: string;
  status: string;
  text: string;
}

function logEntries(page: Page): Promise<LogEntry[]> {
  return page.locator('[data-testid="log-entry"]').evaluateAll((items) =>
    items.map((item) => {
      const data = (item as HTMLElement).dataset;
      return {
        version: Number(data.version),
        stage: data.stage ?? '',
        status: data.status ?? '',
        text: item.textContent ?? '',
      };
    }),
  );
}

async function generate(page: Page, website: string): Promise<void> {
  await page.getByLabel('Company website').fill(website);
  await page.getByRole('button', { name: BUTTON }).click();
}

interface ChipLayout {
  text: string;
  tooltip: string | null;
  /** Wider than the box that shows it. */
  overflows: boolean;
  /** The cut is shown by an ellipsis (text-overflow applies to block text, not to flex boxes). */
  endsInEllipsis: boolean;
  rightEdge: number;
}

function chipLayouts(page: Page): Promise<ChipLayout[]> {
  return page.getByTestId('citation').evaluateAll((chips) =>
    chips.map((chip) => {
      const label = chip.querySelector<HTMLElement>('.chip-label') ?? (chip as HTMLElement);
      const style = getComputedStyle(label);
      return {
        text: chip.textContent ?? '',
        tooltip: chip.getAttribute('title'),
        overflows: label.scrollWidth > label.clientWidth,
        endsInEllipsis:
          style.textOverflow === 'ellipsis' &&
          style.overflowX === 'hidden' &&
          style.whiteSpace === 'nowrap' &&
          !/flex|grid/.test(style.display),
        rightEdge: chip.getBoundingClientRect().right,
      };
    }),
  );
}

interface DemoMeeting {
  recording_id: number;
  transcript?: Array<{ text: string }>;
  default_summary?: { markdown_formatted?: string };
  action_items?: unknown[];
}

/** One of the demo meetings, as the service read it. */
function demoMeeting(meetingId: string): DemoMeeting | undefined {
  const demo = JSON.parse(readFileSync('demo/meetings.json', 'utf8')) as { items: DemoMeeting[] };
  return demo.items.find((item) => String(item.recording_id) === meetingId);
}

/** How many action items Fathom noted in a demo meeting. */
function demoActionItemCount(meetingId: string): number {
  return demoMeeting(meetingId)?.action_items?.length ?? 0;
}

/** Everything a demo meeting says: its transcript lines and its summary, as written. */
function demoMeetingText(meetingId: string): string {
  const meeting = demoMeeting(meetingId);
  return [
    ...(meeting?.transcript ?? []).map((line) => line.text),
    // The summary as read: a quote of it is cut from the text without emphasis marks.
    (meeting?.default_summary?.markdown_formatted ?? '').replace(/\*\*|__|`/g, ''),
  ].join('\n');
}

async function waitForFinish(page: Page): Promise<void> {
  await page
    .locator(
      '[data-testid="run-status"][data-status="COMPLETE"], [data-testid="run-status"][data-status="ERROR"]',
    )
    .waitFor({ timeout: 20_000 });
}

describe('the live page on the demo meetings', () => {
  let server: TestApp;
  let browser: Browser;
  const opened: OpenedPage[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    server = await startTestApp('memory', {
      MEETINGS_FILE: 'demo/meetings.json',
      SUMMARIZER: 'extractive',
      // Spaces the pipeline's steps so that each stage is on screen long enough to see.
      DEMO_STEP_DELAY_MS: '300',
      // Only the trusted documents run: the page names every operation by its hash (the
      // suites below run with the default, where hashes work as well).
      GRAPHQL_TRUSTED_DOCUMENTS: 'true',
    });
  }, 11 * 60_000);

  afterAll(async () => {
    await Promise.all(opened.map((o) => o.close()));
    await browser?.close();
    await server?.close();
  });

  async function open(path = '/'): Promise<OpenedPage> {
    const o = await openPage(browser, `${server.url}${path}`);
    opened.push(o);
    await waitForConnection(o.page, 'connected');
    return o;
  }

  it('serves the page and its bundled assets from this origin, with sensible caching', async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const html = await response.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] ?? '');
    expect(assets).toHaveLength(2);
    // Nothing is loaded from elsewhere: the machine may be offline.
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);

    for (const path of assets) {
      const asset = await fetch(`${server.url}${path}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toBe(
        path.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
      );
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const etag = asset.headers.get('etag') ?? '';
      expect((await asset.text()).length).toBeGreaterThan(1000);
      const again = await fetch(`${server.url}${path}`, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
    }
    expect((await fetch(`${server.url}/assets/app.js`)).status).toBe(404);
    const head = await fetch(`${server.url}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/html; charset=utf-8');
    // The page is cached by ETag: an unchanged page costs a 304.
    const etag = response.headers.get('etag') ?? '';
    expect((await fetch(`${server.url}/`, { headers: { 'if-none-match': etag } })).status).toBe(
      304,
    );
  });

  it('shows the stages live, then the summary with people, goals, challenges and cited meetings', async () => {
    const { page, problems, requests, framesSent, framesReceived } = await open();
    await generate(page, 'https://www.northwind-logistics.com');

    await page
      .locator('[data-testid="summary"] [data-testid="goals"]')
      .waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('run-domain').textContent()).toBe('northwind-logistics.com');
    expect(await page.getByTestId('run-status').getAttribute('data-status')).toBe('COMPLETE');

    // The log holds every state pushed, in increasing versions, ending with the done state.
    const log = await logEntries(page);
    const versions = log.map((entry) => entry.version);
    expect(versions.length).toBeGreaterThanOrEqual(4);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    expect(versions[0]).toBe(1);
    expect(log.at(-1)).toMatchObject({ stage: 'DONE', status: 'COMPLETE' });
    expect(log.map((entry) => entry.stage)).toEqual(
      expect.arrayContaining(['QUEUED', 'FETCHING_MEETINGS', 'SUMMARIZING', 'DONE']),
    );

    // One subscription, the company's, carried the run: each state reached the page once.
    const runId = new URL(page.url()).searchParams.get('run');
    expect(subscribesTo(framesSent, documentIdOf(EngagementsUpdatedDocument))).toHaveLength(1);
    expect(subscribesTo(framesSent, documentIdOf(EngagementUpdatedDocument))).toHaveLength(0);
    const delivered = statesReceived(framesReceived, 'engagementsUpdated');
    expect(delivered.filter((state) => !state.startsWith(`${runId}@`))).toEqual([]);
    expect(new Set(delivered).size).toBe(delivered.length);
    // Every state after the first (the start's answer) came over it.
    for (const version of versions.slice(1)) expect(delivered).toContain(`${runId}@${version}`);

    // The stepper was seen on each working stage, and the count appeared before the end.
    const seen = await progressSeen(page);
    expect(seen.stagesSeen).toEqual(expect.arrayContaining(['FETCHING_MEETINGS', 'SUMMARIZING']));
    expect(seen.stagesSeen.indexOf('FETCHING_MEETINGS')).toBeLessThan(
      seen.stagesSeen.indexOf('SUMMARIZING'),
    );
    expect(seen.foundWhileRunning).toBe('4 meetings');
    const steps = await page
      .locator('[data-testid="stepper"] .step')
      .evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.state));
    expect(steps).toEqual(['done', 'done', 'done', 'done']);

    // The summary.
    expect(await page.getByTestId('meetings-count').textContent()).toBe('4');
    const meetings = await page
      .locator('[data-testid="meeting"] a')
      .evaluateAll((links) =>
        links.map((link) => ({ title: link.textContent ?? '', url: link.getAttribute('href') })),
      );
    expect(meetings).toHaveLength(4);
    for (const meeting of meetings) {
      expect(meeting.title).toMatch(/Northwind Logistics/);
      expect(meeting.url).toMatch(/^https:\/\/fathom\.video\/calls\/\d+$/);
    }
    expect(await page.getByTestId('meeting').first().locator('time').textContent()).toMatch(
      /\d{4}/,
    );

    const people = await page.getByTestId('person').allTextContents();
    expect(people).toHaveLength(3);
    expect(people.join(' ')).toContain('grace.holloway@northwind-logistics.com');
    expect(people.join(' ')).toContain('ravi.menon@northwind-logistics.com');

    for (const kind of ['goal', 'challenge'] as const) {
      const insights = page.getByTestId(kind);
      expect(await insights.count()).toBeGreaterThanOrEqual(3);
      for (const insight of await insights.all()) {
        expect((await insight.locator('.insight-text').textContent())?.length).toBeGreaterThan(10);
        const chips = await insight.getByTestId('citation').evaluateAll((links) =>
          links.map((link) => ({
            title: link.textContent ?? '',
            url: link.getAttribute('href'),
          })),
        );
        expect(chips.length).toBeGreaterThanOrEqual(1);
        // Each chip names one of the run's meetings and links to it.
        for (const chip of chips) expect(meetings).toContainEqual(chip);
        // Under it, where it was said: each quote verbatim from its meeting, with who said
        // it and when, and a link to that meeting.
        const quotes = await insight.getByTestId('quote').evaluateAll((items) =>
          items.map((item) => ({
            meetingId: item.getAttribute('data-meeting-id') ?? '',
            quote: item.querySelector('blockquote')?.textContent ?? '',
            source: item.querySelector('.quote-source')?.textContent ?? '',
            link: item.querySelector('a')?.getAttribute('href'),
          })),
        );
        expect(quotes.length).toBeGreaterThanOrEqual(1);
        for (const quote of quotes) {
          const said = quote.quote.replace(/^“|”$/g, '');
          expect(demoMeetingText(quote.meetingId)).toContain(said);
          expect(quote.link).toBe(`https://fathom.video/calls/${quote.meetingId}`);
          // A transcript quote names its speaker and time; a summary quote says so.
          expect(quote.source).toMatch(/^(.+ at \d\d:\d\d:\d\d · |From the meeting summary · )/);
        }
      }
    }

    // Fathom's action items: open ones first, each with its owner (all ours in the demo).
    const items = await page.getByTestId('action-item').evaluateAll((rows) =>
      rows.map((row) => ({
        owner: row.getAttribute('data-owner'),
        completed: row.getAttribute('data-completed') === 'true',
        text: row.querySelector('.action-text')?.textContent ?? '',
        pill: row.querySelector('.owner-pill')?.textContent ?? '',
      })),
    );
    const meetingIds = meetings.map((meeting) => meeting.url?.split('/').pop() ?? '');
    expect(items.length).toBe(meetingIds.reduce((sum, id) => sum + demoActionItemCount(id), 0));
    expect(items.length).toBeGreaterThan(0);
    const firstDone = items.findIndex((item) => item.completed);
    expect(items.slice(firstDone).every((item) => item.completed)).toBe(true);
    expect(items.slice(0, firstDone).map((item) => item.text)).toEqual(
      expect.arrayContaining([
        'Send revised proposal with two-year price lock and EU workspace phase-in',
      ]),
    );
    expect(new Set(items.map((item) => `${item.owner} ${item.pill}`))).toEqual(
      new Set(['US Ours']),
    );
    // Nothing was left out for lack of evidence, so no note says so.
    expect(await page.getByTestId('dropped-note').count()).toBe(0);

    // The status area is announced to screen readers.
    expect(await page.getByTestId('status-text').getAttribute('aria-live')).toBe('polite');
    expect(await page.getByTestId('status-text').textContent()).toContain('Summary ready');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({
      path: `${ARTIFACTS}/live-page.png`,
      fullPage: true,
      animations: 'disabled',
    });

    // Everything came from the service itself, and the page raised no errors.
    const origin = new URL(server.url).origin;
    for (const url of requests)
      expect(url.startsWith(origin) || url.startsWith('data:')).toBe(true);
    expect(problems).toEqual([]);
  });

  it('fits a phone: the progress comes into view, and every chip can be read whole', async () => {
    const o = await openPage(browser, `${server.url}/`, PHONE);
    opened.push(o);
    const { page, problems } = o;
    await waitForConnection(page, 'connected');
    await generate(page, 'northwind-logistics.com');

    // Once the run is shown, its progress is on screen without scrolling by hand.
    await page.locator('#run-card').waitFor();
    const stepper = await page.getByTestId('stepper').evaluate((element) => {
      const box = element.getBoundingClientRect();
      return { top: box.top, bottom: box.bottom, viewport: window.innerHeight };
    });
    expect(stepper.top).toBeGreaterThanOrEqual(0);
    expect(stepper.bottom).toBeLessThanOrEqual(stepper.viewport);

    await page.getByTestId('goals').waitFor({ timeout: 20_000 });
    const titles = await page.locator('[data-testid="meeting"] a').allTextContents();
    const chips = await chipLayouts(page);
    expect(chips.length).toBeGreaterThanOrEqual(6);
    for (const chip of chips) {
      // A phone has no hover for the tooltip: the whole title is shown, on the screen.
      expect(titles).toContain(chip.text);
      expect(chip.overflows, chip.text).toBe(false);
      expect(chip.rightEdge, chip.text).toBeLessThanOrEqual(390);
    }
    // At least one title is longer than one line of a chip on this screen: it wrapped.
    expect(chips.some((chip) => chip.text.length > 45)).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      390,
    );
    await page.screenshot({
      path: `${ARTIFACTS}/live-page-phone.png`,
      fullPage: true,
      animations: 'disabled',
    });

    // Wider screens keep each chip on one line, set to end in an ellipsis when its title is
    // cut, with the whole title as the chip's tooltip.
    await page.setViewportSize({ width: 700, height: 900 });
    for (const chip of await chipLayouts(page)) {
      expect(chip.endsInEllipsis, chip.text).toBe(true);
      expect(chip.tooltip).toContain(chip.text);
    }
    expect(problems).toEqual([]);
  });

  it('says so when the team never met the company', async () => {
    const { page, problems } = await open();
    await page.getByLabel('Company website').fill('example.com');
    await page.getByLabel('Company website').press('Enter'); // Enter does what the button does
    const empty = page.getByTestId('no-meetings');
    await empty.waitFor({ timeout: 20_000 });
    expect(await empty.textContent()).toContain('No recorded meetings with example.com yet.');
    expect(await page.getByTestId('goals').count()).toBe(0);
    expect(await page.getByTestId('people').count()).toBe(0);
    expect((await logEntries(page)).at(-1)).toMatchObject({ status: 'COMPLETE', stage: 'DONE' });
    await page.screenshot({
      path: `${ARTIFACTS}/live-page-empty.png`,
      fullPage: true,
      animations: 'disabled',
    });
    expect(problems).toEqual([]);
  });

  it('explains an invalid website under the field and starts nothing', async () => {
    const { page, framesSent, problems } = await open();
    await generate(page, 'not a domain');
    const error = page.getByTestId('website-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('is not a valid company domain');
    expect(await page.getByLabel('Company website').getAttribute('aria-invalid')).toBe('true');
    // The server judged it (one start was sent, by its hash) and nothing was followed or shown.
    const sent = (document: object) => framesSent.filter((f) => f.includes(documentIdOf(document)));
    expect(sent(StartEngagementSummaryDocument)).toHaveLength(1);
    expect(sent(EngagementUpdatedDocument)).toHaveLength(0);
    expect(sent(EngagementsUpdatedDocument)).toHaveLength(0);
    // No operation's text leaves the page: every subscribe names its document by hash.
    for (const frame of framesSent.filter((f) => f.includes('"subscribe"'))) {
      expect(JSON.parse(frame)).toMatchObject({
        payload: { query: '', documentId: expect.any(String) },
      });
    }
    expect(await page.getByTestId('log-entry').count()).toBe(0);
    expect(await page.locator('#run-card').isHidden()).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}/live-page-invalid.png` });

    // Typing again clears the message.
    await page.getByLabel('Company website').fill('acme.com');
    expect(await error.isHidden()).toBe(true);
    expect(problems).toEqual([]);
  });

  it('lists earlier runs of the domain, and shows an earlier one when clicked', async () => {
    const { page, problems, framesSent } = await open();
    await generate(page, 'quarry-analytics.io');
    await waitForFinish(page);
    const firstRunId = new URL(page.url()).searchParams.get('run');
    await generate(page, 'https://quarry-analytics.io/pricing');
    await page.waitForFunction(
      (first) => new URL(location.href).searchParams.get('run') !== first,
      firstRunId,
    );
    await waitForFinish(page);
    const secondRunId = new URL(page.url()).searchParams.get('run');

    const runs = page.getByTestId('earlier-run');
    await page.waitForFunction(
      () =>
        document.querySelectorAll('[data-testid="earlier-run"][data-status="COMPLETE"]').length >=
        2,
    );
    const listed = await runs.evaluateAll((items) =>
      items.map((item) => ({
        runId: (item as HTMLElement).dataset.runId,
        current: item.getAttribute('aria-current'),
        text: item.textContent ?? '',
      })),
    );
    // Newest first; the run on screen is marked; each names its status and meetings.
    expect(listed.map((run) => run.runId)).toEqual([secondRunId, firstRunId]);
    expect(listed[0]?.current).toBe('true');
    expect(listed[1]?.current).toBeNull();
    for (const run of listed) expect(run.text).toMatch(/Complete.*4 meetings/);

    await runs.nth(1).click();
    await page.waitForFunction(
      (first) => new URL(location.href).searchParams.get('run') === first,
      firstRunId,
    );
    await page.getByTestId('goals').waitFor();
    // A finished run yields its final state once, then the stream completes.
    const log = await logEntries(page);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ status: 'COMPLETE', stage: 'DONE' });
    expect(await page.getByTestId('meetings-count').textContent()).toBe('4');
    // Both runs and the earlier one shown came over the company's one subscription.
    expect(subscribesTo(framesSent, documentIdOf(EngagementsUpdatedDocument))).toHaveLength(1);
    expect(subscribesTo(framesSent, documentIdOf(EngagementUpdatedDocument))).toHaveLength(0);
    expect(await runs.nth(1).getAttribute('aria-current')).toBe('true');
    expect(await runs.nth(0).getAttribute('aria-current')).toBeNull();
    expect(problems).toEqual([]);
  });

  it('says a linked run cannot be shown when it does not exist, and still follows its company', async () => {
    const missing = crypto.randomUUID();
    const { page, problems, framesSent } = await open(`/?domain=lumen-retail.com&run=${missing}`);
    const error = page.getByTestId('run-error');
    await error.waitFor();
    expect(await error.textContent()).toBe(
      `This run cannot be shown.Run ${missing} of lumen-retail.com no longer exists.`,
    );
    expect(await page.getByTestId('status-text').textContent()).toBe('This run cannot be shown.');
    expect(await page.getByTestId('log-entry').count()).toBe(0);
    // A run of the company started now takes the screen, over the same subscription.
    const started = await server.app.services.runs.start('lumen-retail.com');
    await page.waitForURL((url) => url.searchParams.get('run') === started.run_id);
    await waitForFinish(page);
    expect(await page.getByTestId('run-error').isHidden()).toBe(true);
    expect(subscribesTo(framesSent, documentIdOf(EngagementsUpdatedDocument))).toHaveLength(1);
    expect(subscribesTo(framesSent, documentIdOf(EngagementUpdatedDocument))).toHaveLength(0);
    expect(problems).toEqual([]);
  });

  it('says when the server cannot be reached', async () => {
    const lone = await startTestApp('memory', {
      MEETINGS_FILE: 'demo/meetings.json',
      SUMMARIZER: 'extractive',
    });
    const o = await openPage(browser, `${lone.url}/`);
    opened.push(o);
    await waitForConnection(o.page, 'connected');
    await lone.close();
    await generate(o.page, 'northwind-logistics.com');
    const banner = o.page.getByTestId('connection-error');
    await banner.waitFor({ timeout: 15_000 });
    expect(await banner.textContent()).toContain('The server cannot be reached');
  });
});

/**
 * The offline summariser on the demo meetings, plus one finding whose quote no meeting said,
 * as an LLM might invent it: the pipeline's verification drops it and counts it.
 */
function summarizerWithAnInventedFinding(): Summarizer {
  const extractive = new ExtractiveSummarizer();
  return {
    async summarize(request, signal) {
      const insights = await extractive.summarize(request, signal);
      const meetingId = request.meetings[0]?.recording_id ?? '';
      const invented = { meetingId, quote: 'We will triple our budget for you next quarter.' };
      return {
        ...insights,
        goals: [...insights.goals, { text: 'Triple the budget.', quotes: [invented] }],
      };
    },
  };
}

describe('the live page on findings and their evidence', () => {
  const suite = browserSuite(() => {
    const pipeline = new MeetingSummaryPipeline(
      { ok: true, value: new FileMeetingSource('demo/meetings.json') },
      { ok: true, value: summarizerWithAnInventedFinding() },
    );
    return startTestApp('memory', {}, { pipeline });
  });

  it('says quietly that a finding was left out, and shows a long list of quotes on request', async () => {
    const opened = await suite.open(`${suite.server.url}/`);
    const { page, problems } = opened;
    await waitForConnection(page, 'connected');
    await generate(page, 'brightpath-health.com');
    await page.getByTestId('goals').waitFor({ timeout: 20_000 });

    // The invented finding is not shown; a note under the counts says one was left out.
    const note = page.getByTestId('dropped-note');
    expect(await note.isVisible()).toBe(true);
    expect(await note.textContent()).toBe(
      '1 finding left out: the meetings do not say them in so many words.',
    );
    expect(await page.getByText('Triple the budget.').count()).toBe(0);

    // An insight said in more than three places shows three quotes and a button for the rest.
    const long = page
      .getByTestId('goal')
      .filter({ has: page.getByTestId('more-quotes') })
      .first();
    const quotes = long.getByTestId('quote');
    const total = await quotes.count();
    expect(total).toBeGreaterThan(3);
    const visible = () =>
      quotes.evaluateAll((items) => items.filter((item) => !(item as HTMLElement).hidden).length);
    const toggle = long.getByRole('button', { name: `Show ${total - 3} more quote` });
    expect(await visible()).toBe(3);
    expect(await quotes.nth(3).isVisible()).toBe(false);
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    const listId = (await toggle.getAttribute('aria-controls')) ?? '';
    expect(await long.locator(`ul#${listId}`).getByTestId('quote').count()).toBe(total);

    // By keyboard: focus the button, press Enter; every quote is shown, then hidden again.
    await toggle.focus();
    await page.keyboard.press('Enter');
    expect(await visible()).toBe(total);
    expect(await quotes.nth(total - 1).isVisible()).toBe(true);
    const expanded = long.getByRole('button', { name: 'Show fewer quotes' });
    expect(await expanded.getAttribute('aria-expanded')).toBe('true');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({
      path: `${ARTIFACTS}/live-page-evidence.png`,
      fullPage: true,
      animations: 'disabled',
    });
    await expanded.click();
    expect(await visible()).toBe(3);
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');

    // An insight with three quotes or fewer has no such button.
    for (const insight of await page.getByTestId('challenge').all()) {
      const count = await insight.getByTestId('quote').count();
      expect(await insight.getByTestId('more-quotes').count()).toBe(count > 3 ? 1 : 0);
    }
    expect(problems).toEqual([]);
  }, 60_000);
});

describe('the live page when the server requires a token', () => {
  const suite = browserSuite(() =>
    startTestApp('memory', {
      AUTH_TOKENS: 'page-test-token',
      MEETINGS_FILE: 'demo/meetings.json',
      SUMMARIZER: 'extractive',
    }),
  );

  it('asks for the token, then works with it and remembers it', async () => {
    const opened = await suite.open(`${suite.server.url}/`);
    const { page } = opened;
    const tokenError = page.getByTestId('token-error');

    // The page itself needs no token; its connection does.
    await tokenError.waitFor();
    expect(await tokenError.textContent()).toContain(TOKEN_MESSAGE);
    await generate(page, 'brightpath-health.com');
    await tokenError.waitFor();
    expect(await page.getByTestId('log-entry').count()).toBe(0);

    await page.getByLabel('Access token').fill('not-the-token');
    await page.getByLabel('Access token').press('Enter');
    await waitForConnection(page, 'unauthorized');
    expect(await tokenError.isVisible()).toBe(true);

    await page.getByLabel('Access token').fill('page-test-token');
    await page.getByRole('button', { name: BUTTON }).click();
    await page.getByTestId('goals').waitFor({ timeout: 20_000 });
    expect(await tokenError.isHidden()).toBe(true);
    expect(await page.getByTestId('meetings-count').textContent()).toBe('4');

    // Kept in localStorage: a reload connects with it straight away.
    await page.reload();
    await waitForConnection(page, 'connected');
    expect(await page.getByLabel('Access token').inputValue()).toBe('page-test-token');
    expect(await tokenError.isHidden()).toBe(true);
    // The reloaded address still names the run, so it is shown again.
    await page.getByTestId('goals').waitFor({ timeout: 20_000 });
    expect(opened.problems.filter((p) => !p.includes('WebSocket'))).toEqual([]);
  });
});

describe('the live page when runs fail or are refused', () => {
  // No FATHOM_API_KEY and no MEETINGS_FILE: every run ends as ERROR, naming the variable.
  const suite = browserSuite(() =>
    startTestApp('memory', { SUMMARIZER: 'extractive', START_RATE_LIMIT: '2' }),
  );

  it("shows a failed run's error, and a refused start under the field with the earlier runs", async () => {
    const opened = await suite.open(`${suite.server.url}/`);
    const { page } = opened;
    await waitForConnection(page, 'connected');

    await generate(page, 'acme.com');
    await waitForFinish(page);
    const runError = page.getByTestId('run-error');
    expect(await runError.isVisible()).toBe(true);
    expect(await runError.textContent()).toContain('FATHOM_API_KEY');
    expect(await page.getByTestId('run-status').getAttribute('data-status')).toBe('ERROR');
    expect(await page.locator('[data-testid="stepper"] [data-state="failed"]').count()).toBe(1);
    expect((await logEntries(page)).at(-1)?.status).toBe('ERROR');
    expect(await page.getByTestId('summary').isHidden()).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}/live-page-error.png`, animations: 'disabled' });

    await generate(page, 'www.acme.com');
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid="earlier-run"]').length === 2,
    );
    // The third start in a minute is refused; the field says why, the runs stay listed.
    await generate(page, 'acme.com');
    const fieldError = page.getByTestId('website-error');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toContain('Too many runs started');
    await page.waitForFunction(
      () =>
        document.querySelectorAll('[data-testid="earlier-run"][data-status="ERROR"]').length === 2,
    );
  });
});
