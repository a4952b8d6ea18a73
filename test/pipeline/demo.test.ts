import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptySummary } from '../../support/scriptedPipeline.ts';
import { runToEnd } from '../support/runHelpers.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';

describe('the demo: bundled meetings and the offline summariser', () => {
  let server: TestApp;
  beforeAll(async () => {
    // What `npm run demo` sets.
    server = await startTestApp('memory', {
      MEETINGS_FILE: 'demo/meetings.json',
      SUMMARIZER: 'extractive',
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it.each([
    ['northwind-logistics.com', 4, 3],
    ['brightpath-health.com', 4, 3],
    ['lumen-retail.com', 4, 4],
    ['quarry-analytics.io', 4, 3],
  ])(
    'summarises %s from its meetings, with goals and challenges cited',
    async (domain, meetings, people) => {
      const states = await runToEnd(server.app, domain);
      const final = states[states.length - 1];
      expect(final?.status).toBe('complete');
      expect(final?.summary?.meetings_count).toBe(meetings);
      expect(final?.summary?.people).toHaveLength(people);
      expect(final?.summary?.goals.length).toBeGreaterThanOrEqual(3);
      expect(final?.summary?.challenges.length).toBeGreaterThanOrEqual(3);
      const ids = new Set(final?.summary?.meetings.map((m) => m.id));
      for (const insight of [
        ...(final?.summary?.goals ?? []),
        ...(final?.summary?.challenges ?? []),
      ]) {
        expect(insight.meeting_ids.every((id) => ids.has(id))).toBe(true);
      }
    },
  );

  it('finds nothing for a company the team never met, and completes', async () => {
    const states = await runToEnd(server.app, 'example.com');
    expect(states.at(-1)?.summary).toEqual(emptySummary());
  });
});
