import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { TestApp } from '../support/testApp.ts';

export const CHROMIUM = '/usr/bin/chromium';

/** The system Chromium may still be being installed when the suite starts; wait for it. */
export async function waitForChromium(timeoutMs = 10 * 60_000, everyMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(CHROMIUM)) {
    if (Date.now() > deadline) throw new Error(`${CHROMIUM} did not appear within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

export async function launchBrowser(): Promise<Browser> {
  await waitForChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Chromium and a service for the tests of one suite, and the pages they opened. */
export interface BrowserSuite {
  readonly browser: Browser;
  readonly server: TestApp;
  /** Opens a page (see openPage), closed with the suite. */
  open(url: string, device?: BrowserContextOptions): Promise<OpenedPage>;
}

/**
 * Starts Chromium and the service `startServer` gives before the suite's tests, and closes
 * them, with every page the tests opened, after them.
 */
export function browserSuite(startServer: () => Promise<TestApp>): BrowserSuite {
  let browser: Browser | undefined;
  let server: TestApp | undefined;
  const opened: OpenedPage[] = [];
  beforeAll(async () => {
    browser = await launchBrowser();
    server = await startServer();
  }, 11 * 60_000);
  afterAll(async () => {
    await Promise.all(opened.map((page) => page.close()));
    await browser?.close();
    await server?.close();
  });
  return {
    get browser() {
      if (!browser) throw new Error('the suite has not started');
      return browser;
    },
    get server() {
      if (!server) throw new Error('the suite has not started');
      return server;
    },
    async open(url, device) {
      const page = await openPage(this.browser, url, device);
      opened.push(page);
      return page;
    },
  };
}

export interface OpenedPage {
  page: Page;
  /** Uncaught exceptions and console errors: a working page has none. */
  problems: string[];
  /** Every text frame the page sent over its WebSockets. */
  framesSent: string[];
  /** Every text frame the page received over its WebSockets. */
  framesReceived: string[];
  /** Every HTTP(S) request the page made, to prove that nothing leaves the origin. */
  requests: string[];
  close(): Promise<void>;
}

/** A phone held upright: the size of a common one, touch, no hover. */
export const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
};

/**
 * Opens the page in a fresh context (empty localStorage), on a desktop-sized window unless
 * `device` says otherwise. Before any page script runs, a MutationObserver records each
 * stage the stepper marks as current, so a test can tell that the page passed through a
 * stage even when it lasted only a few hundred ms.
 */
export async function openPage(
  browser: Browser,
  url: string,
  device: BrowserContextOptions = { viewport: { width: 1280, height: 900 } },
): Promise<OpenedPage> {
  const context = await browser.newContext(device);
  const page = await context.newPage();
  const problems: string[] = [];
  const framesSent: string[] = [];
  const framesReceived: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('request', (request) => requests.push(request.url()));
  page.on('websocket', (socket) => {
    socket.on('framesent', (frame) => {
      if (typeof frame.payload === 'string') framesSent.push(frame.payload);
    });
    socket.on('framereceived', (frame) => {
      if (typeof frame.payload === 'string') framesReceived.push(frame.payload);
    });
  });
  await page.addInitScript(() => {
    const seen: string[] = [];
    const recorder = window as unknown as { stagesSeen: string[]; foundWhileRunning?: string };
    recorder.stagesSeen = seen;
    new MutationObserver(() => {
      const current = document.querySelector<HTMLElement>(
        '[data-testid="stepper"] [data-state="current"]',
      );
      const stage = current?.dataset.stage;
      if (stage && seen[seen.length - 1] !== stage) seen.push(stage);
      const status = document.querySelector<HTMLElement>('[data-testid="run-status"]');
      const found = document.querySelector('[data-testid="meetings-found"]');
      if (found && status?.dataset.status === 'PROCESSING') {
        recorder.foundWhileRunning ??= found.textContent ?? '';
      }
    }).observe(document, { subtree: true, childList: true, attributes: true });
  });
  await page.goto(url);
  return {
    page,
    problems,
    framesSent,
    framesReceived,
    requests,
    close: () => context.close(),
  };
}

/** What the recorder saw: stages marked current, and the meeting count shown mid-run. */
export function progressSeen(
  page: Page,
): Promise<{ stagesSeen: string[]; foundWhileRunning?: string }> {
  return page.evaluate(() => {
    const recorder = window as unknown as { stagesSeen: string[]; foundWhileRunning?: string };
    return { stagesSeen: recorder.stagesSeen, foundWhileRunning: recorder.foundWhileRunning };
  });
}

export async function waitForConnection(page: Page, state: string): Promise<void> {
  await page.locator(`[data-testid="connection-status"][data-state="${state}"]`).waitFor();
}

/** The subscribe frames among `framesSent` that name `document` by its hash. */
export function subscribesTo(framesSent: readonly string[], documentId: string): string[] {
  return framesSent.filter((frame) => {
    const message = JSON.parse(frame) as { type?: string; payload?: { documentId?: string } };
    return message.type === 'subscribe' && message.payload?.documentId === documentId;
  });
}

/**
 * The run states the page received from `field` (a subscription field's name), as
 * `runId@version`, one entry per delivery: a state delivered twice is listed twice.
 */
export function statesReceived(framesReceived: readonly string[], field: string): string[] {
  const states: string[] = [];
  for (const frame of framesReceived) {
    const message = JSON.parse(frame) as {
      type?: string;
      payload?: { data?: Record<string, { runId?: string; version?: number } | null> };
    };
    const run = message.type === 'next' ? message.payload?.data?.[field] : undefined;
    if (run?.runId) states.push(`${run.runId}@${run.version}`);
  }
  return states;
}
