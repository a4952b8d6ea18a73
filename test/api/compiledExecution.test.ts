import { type ExecutionResult, execute, parse, print } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngagementStatusDocument } from '../../src/generated/graphql.ts';
import type { RunChannelMessage } from '../../src/model/runRecord.ts';
import { advance, complete, fail, newRun } from '../../src/model/runTransitions.ts';
import { buildSchema } from '../../src/schema/index.ts';
import { ENGAGEMENT_UPDATED, graphqlRequest, subscribe } from '../../support/graphqlClients.ts';
import { sampleSummary } from '../../support/scriptedPipeline.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';

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

/**
 * Over HTTP a document is executed by graphql-js the first time and compiled from the next:
 * a client polling must not see its answer change shape between the two.
 */
describe('a repeated query over HTTP', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp('memory');
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers alike interpreted, then compiled, errors included', async () => {
    const at = new Date('2026-03-01T10:00:00.000Z');
    const run = newRun('acme.com', '0b9e6f1c-1d2a-4c3b-9e8f-0a1b2c3d4e5f', at, 600_000);
    const done = complete(
      advance(run, { stage: 'summarizing', meetingsFound: 1 }, at),
      sampleSummary(),
      at,
    );
    await server.app.backend.store.write(run);
    await server.app.backend.store.write(done);
    const status = print(EngagementStatusDocument);
    const answers = [];
    for (let i = 0; i < 3; i++) {
      answers.push(
        await graphqlRequest(server.graphqlUrl, status, { domain: 'acme.com', runId: run.run_id }),
      );
    }
    expect(answers[0]?.data?.engagementStatus).toHaveLength(1);
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);

    const invalid = [];
    for (let i = 0; i < 3; i++) {
      invalid.push(
        await graphqlRequest(server.graphqlUrl, status, { domain: 'localhost', runId: run.run_id }),
      );
    }
    expect(invalid[0]?.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(invalid[1]).toEqual(invalid[0]);
    expect(invalid[2]).toEqual(invalid[0]);
  });

  it('keeps a variable left to its default, on repeated queries and on every state watched', async () => {
    const at = new Date('2026-03-01T10:00:00.000Z');
    const run = newRun('acme.com', '1c0b9e6f-1d2a-4c3b-9e8f-0a1b2c3d4e5f', at, 600_000);
    await server.app.backend.store.write(run);
    // GraphQL lets a client leave out a non-null variable that has a default.
    const status = `query Defaulted($domain: String! = "acme.com", $runId: ID!) {
      engagementStatus(domain: $domain, runId: $runId) { version status }
    }`;
    for (let i = 0; i < 3; i++) {
      const answer = await graphqlRequest(server.graphqlUrl, status, { runId: run.run_id });
      expect(answer.data).toEqual({ engagementStatus: [{ version: 1, status: 'PROCESSING' }] });
      expect(answer.errors).toBeUndefined();
    }
    const watch = `subscription DefaultedWatch($domain: String! = "acme.com", $runId: ID!) {
      engagementUpdated(domain: $domain, runId: $runId) { version status }
    }`;
    const sub = subscribe<{ engagementUpdated: { version: number } }>(
      { transport: 'sse', ...server },
      watch,
      { runId: run.run_id },
    );
    await sub.waitFor(1);
    const fetching = advance(run, { stage: 'fetching_meetings', meetingsFound: 1 }, at);
    await server.app.backend.store.write(fetching);
    await server.app.backend.store.write(complete(fetching, sampleSummary(), at));
    expect(await sub.ended).toBe('complete');
    expect(sub.errors).toEqual([]);
    expect(sub.events.map((e) => e.engagementUpdated.version)).toEqual([1, 2, 3]);
  });
});

/** The result as a client reads it: its JSON, parsed. */
function plain(result: ExecutionResult): ExecutionResult {
  return JSON.parse(JSON.stringify(result)) as ExecutionResult;
}
