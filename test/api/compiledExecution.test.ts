import { type ExecutionResult, execute, parse } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { describe, expect, it } from 'vitest';
import type { RunChannelMessage } from '../../src/kv/runRecord.ts';
import { advance, complete, fail, newRun } from '../../src/runs/runTransitions.ts';
import { buildSchema } from '../../src/schema/index.ts';
import { ENGAGEMENT_UPDATED } from '../support/graphqlClients.ts';
import { sampleSummary } from '../support/scriptedPipeline.ts';

/**
 * WebSocket run states (and queries) are resolved by graphql-jit, SSE run states by
 * graphql-js: on every kind of run state, both must give clients the same JSON, errors
 * included.
 */
describe('compiled execution', () => {
  const schema = buildSchema();
  const at = new Date('2026-03-01T10:00:00.000Z');
  const queued = newRun('acme.com', '6f1c0b9e-1d2a-4c3b-9e8f-0a1b2c3d4e5f', at, 600_000);
  const fetching = advance(queued, { stage: 'fetching_meetings', meetingsFound: 3 }, at);
  const states: Record<string, RunChannelMessage> = {
    queued,
    fetching,
    complete: complete(fetching, sampleSummary(), at),
    error: fail(fetching, 'Fathom is unreachable.', at),
    deleted: { deleted: true, domain: queued.domain, run_id: queued.run_id },
  };
  const variableValues = { domain: queued.domain, runId: queued.run_id };
  const contextValue = {};

  const bothWays = async (source: string, rootValue: unknown) => {
    const document = parse(source);
    const compiled = compileQuery(schema, document);
    if (!isCompiledQuery(compiled)) throw new Error(JSON.stringify(compiled.errors));
    const viaJit = await compiled.query(rootValue, contextValue, variableValues);
    const viaGraphqlJs = await execute({
      schema,
      document,
      rootValue,
      variableValues,
      contextValue,
    });
    return { viaJit: plain(viaJit), viaGraphqlJs: plain(viaGraphqlJs) };
  };

  for (const [name, state] of Object.entries(states)) {
    it(`resolves a ${name} run state alike in the watch operation`, async () => {
      const { viaJit, viaGraphqlJs } = await bothWays(ENGAGEMENT_UPDATED, state);
      expect(viaJit).toEqual(viaGraphqlJs);
      if (name === 'deleted') expect(viaJit.errors).toHaveLength(1);
      else expect(viaJit.errors).toBeUndefined();
    });
  }
});

/** The result as a client reads it: its JSON, parsed. */
function plain(result: ExecutionResult): ExecutionResult {
  return JSON.parse(JSON.stringify(result)) as ExecutionResult;
}
