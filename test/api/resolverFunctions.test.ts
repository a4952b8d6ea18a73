import { describe, expect, it } from 'vitest';
import type { GraphQLContext } from '../../src/context.ts';
import { AppError } from '../../src/errors.ts';
import { newRun } from '../../src/model/runTransitions.ts';
import { startEngagementSummary } from '../../src/resolvers/mutations.ts';
import { engagements } from '../../src/resolvers/queries.ts';
import {
  resolveEngagementUpdated,
  subscribeEngagementUpdated,
} from '../../src/resolvers/subscriptions.ts';
import type { EngagementRuns } from '../../src/runs/engagementRuns.ts';

/**
 * The resolvers are plain functions of (arguments, context): called here without a schema
 * or a server, against a run service that records what it is asked.
 */

const RUN_ID = '0b9e6f1c-1d2a-4c3b-9e8f-0a1b2c3d4e5f';

function recordingContext() {
  const calls: string[] = [];
  const runs = {
    start: async (domain: string) => {
      calls.push(`start ${domain}`);
      return newRun(domain, RUN_ID, new Date('2026-03-01T10:00:00.000Z'), 60_000);
    },
    list: async (domain: string, limit: number) => {
      calls.push(`list ${domain} ${limit}`);
      return [];
    },
    watch: async (domain: string, runId: string) => {
      calls.push(`watch ${domain} ${runId}`);
      return [][Symbol.iterator]();
    },
  } as unknown as EngagementRuns;
  const context: GraphQLContext = {
    runs,
    admitStart: async () => {
      calls.push('admitStart');
    },
    principal: { kind: 'anonymous', id: 'test', clientAddress: '127.0.0.1' },
    transport: 'http',
  };
  return { calls, context };
}

function codeOf(error: unknown): string | undefined {
  return error instanceof AppError ? error.code : undefined;
}

describe('resolver functions', () => {
  it('startEngagementSummary normalises the website, admits the start, then starts the run', async () => {
    const { calls, context } = recordingContext();
    const started = await startEngagementSummary({ domain: 'https://www.Acme.com/about' }, context);
    expect(started).toMatchObject({ ok: true, run: { domain: 'acme.com', run_id: RUN_ID } });
    expect(calls).toEqual(['admitStart', 'start acme.com']);
  });

  it('startEngagementSummary refuses an invalid domain before asking anything', async () => {
    const { calls, context } = recordingContext();
    const refused = await startEngagementSummary({ domain: 'localhost' }, context).catch(codeOf);
    expect(refused).toBe('BAD_USER_INPUT');
    expect(calls).toEqual([]);
  });

  it('engagements validates the limit and defaults it to 20', async () => {
    const { calls, context } = recordingContext();
    expect(() => engagements({ domain: 'acme.com', limit: 0 }, context)).toThrow(AppError);
    await engagements({ domain: 'ACME.com', limit: null }, context);
    expect(calls).toEqual(['list acme.com 20']);
  });

  it('subscribeEngagementUpdated refuses a runId that is not a UUID before watching', () => {
    const { calls, context } = recordingContext();
    let code: string | undefined;
    try {
      void subscribeEngagementUpdated({ domain: 'acme.com', runId: 'nope' }, context);
    } catch (error) {
      code = codeOf(error);
    }
    expect(code).toBe('BAD_USER_INPUT');
    expect(calls).toEqual([]);
  });

  it('resolveEngagementUpdated passes states through and ends a deleted run with NOT_FOUND', () => {
    const run = newRun('acme.com', RUN_ID, new Date('2026-03-01T10:00:00.000Z'), 60_000);
    expect(resolveEngagementUpdated(run)).toBe(run);
    let code: string | undefined;
    try {
      resolveEngagementUpdated({ deleted: true, domain: 'acme.com', run_id: RUN_ID });
    } catch (error) {
      code = codeOf(error);
    }
    expect(code).toBe('NOT_FOUND');
  });
});
