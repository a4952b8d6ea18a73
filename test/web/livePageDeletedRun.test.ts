import { describe, expect, it } from 'vitest';
import { ScriptedPipeline } from '../../support/scriptedPipeline.ts';
import { startTestApp } from '../support/testApp.ts';
import { browserSuite, waitForConnection } from './browser.ts';

/**
 * The company's stream carries every state of its runs but not their deletion: a run deleted
 * while it is going on screen falls silent. The page reads a silent run once it has said
 * nothing for 30 s, and then says it cannot be shown.
 */
describe('the live page on a run deleted while it is going', () => {
  const pipeline = new ScriptedPipeline();
  const suite = browserSuite(() => startTestApp('memory', {}, { pipeline }));

  it('says it cannot be shown once it has been silent for a while, and not before', async () => {
    const { server } = suite;
    const started = await server.app.services.runs.start('acme.com');
    const run = await pipeline.started(started.run_id);
    await run.report({ stage: 'fetching_meetings' });

    // The page's clock is the test's: 30 s of silence pass in an instant.
    const { page, problems } = await suite.open('about:blank');
    await page.clock.install();
    await page.goto(`${server.url}/?domain=acme.com&run=${started.run_id}`);
    await waitForConnection(page, 'connected');
    await page.getByTestId('log-entry').first().waitFor();
    const status = page.getByTestId('status-text');
    const shown = await status.textContent();

    expect(await server.app.services.runs.delete('acme.com', started.run_id)).toBe(true);
    // A run working between two states is left alone.
    await page.clock.fastForward(20_000);
    await page.waitForTimeout(300);
    expect(await status.textContent()).toBe(shown);
    expect(await page.getByTestId('run-error').isHidden()).toBe(true);

    await page.clock.fastForward(11_000);
    await page.getByTestId('run-error').waitFor();
    expect(await status.textContent()).toBe('This run cannot be shown.');
    expect(await page.getByTestId('run-error').textContent()).toBe(
      `This run cannot be shown.Run ${started.run_id} of acme.com no longer exists.`,
    );
    expect(problems).toEqual([]);
    run.fail('deleted');
  });
});
