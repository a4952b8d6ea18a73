import { print } from 'graphql';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  documentIdOf,
  EngagementStatusDocument,
  EngagementUpdatedDocument,
  StartRunDocument,
} from '../../src/generated/graphql.ts';
import {
  type DocumentRef,
  graphqlRequest,
  type Subscription,
  subscribe,
  TRANSPORTS,
} from '../../support/graphqlClients.ts';
import { ScriptedPipeline, sampleSummary } from '../../support/scriptedPipeline.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';

const UNKNOWN_HASH = 'f'.repeat(64);

/** The three ways a request can name one of the generated documents. */
function namings(document: object): Array<[string, DocumentRef]> {
  const hash = documentIdOf(document);
  return [
    ['documentId', { documentId: hash }],
    [
      'extensions.persistedQuery',
      { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } },
    ],
    ['its text', print(document as never)],
  ];
}

const byId = (hash: string): DocumentRef => ({ documentId: hash });

interface StatusData {
  engagementStatus: Array<{ runId: string; status: string }>;
}
interface RunEvent {
  engagementUpdated: { version: number; status: string };
}

describe.each([
  ['on', true],
  ['off', false],
])('GRAPHQL_TRUSTED_DOCUMENTS %s', (_label, enforced) => {
  let server: TestApp;
  let pipeline: ScriptedPipeline;
  const open: Array<Subscription<RunEvent>> = [];

  beforeEach(async () => {
    pipeline = new ScriptedPipeline();
    server = await startTestApp(
      'memory',
      { GRAPHQL_TRUSTED_DOCUMENTS: String(enforced) },
      { pipeline },
    );
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.dispose()));
    await server.close();
  });

  async function startRun(): Promise<string> {
    const started = await graphqlRequest<{ startEngagementSummary: { runId: string } }>(
      server.graphqlUrl,
      byId(documentIdOf(StartRunDocument)),
      { domain: 'acme.com' },
    );
    expect(started.errors).toBeUndefined();
    return started.data?.startEngagementSummary.runId as string;
  }

  /** GET /graphql with the request's fields as URL parameters, as GET clients send them. */
  async function getRequest(document: DocumentRef, variables: Record<string, unknown>) {
    const url = new URL(server.graphqlUrl);
    const fields = typeof document === 'string' ? { query: document } : document;
    for (const [name, value] of Object.entries({ ...fields, variables })) {
      url.searchParams.set(name, typeof value === 'string' ? value : JSON.stringify(value));
    }
    const response = await fetch(url, {
      headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1' },
    });
    const body = (await response.json()) as { data?: unknown; errors?: unknown };
    return { status: response.status, ...body };
  }

  const codeOf = (body: { errors?: unknown }) =>
    (body.errors as Array<{ extensions?: { code?: string } }> | undefined)?.[0]?.extensions?.code;

  for (const [naming, document] of namings(EngagementStatusDocument)) {
    const refusedAsText = enforced && naming === 'its text';

    it(`over HTTP POST, a query named by ${naming} ${refusedAsText ? 'is refused with PERSISTED_QUERY_ONLY' : 'runs'}`, async () => {
      const runId = await startRun();
      const result = await graphqlRequest<StatusData>(server.graphqlUrl, document, {
        domain: 'acme.com',
        runId,
      });
      if (refusedAsText) {
        expect(result.data ?? null).toBeNull();
        expect(codeOf(result)).toBe('PERSISTED_QUERY_ONLY');
      } else {
        expect(result.errors).toBeUndefined();
        expect(result.data?.engagementStatus).toEqual([
          expect.objectContaining({ runId, status: 'PROCESSING' }),
        ]);
      }
    });

    it(`over HTTP GET, a query named by ${naming} ${refusedAsText ? 'is refused with PERSISTED_QUERY_ONLY' : 'runs'}`, async () => {
      const runId = await startRun();
      const result = await getRequest(document, { domain: 'acme.com', runId });
      if (refusedAsText) {
        expect(codeOf(result)).toBe('PERSISTED_QUERY_ONLY');
      } else {
        expect(result.errors).toBeUndefined();
        expect((result.data as StatusData).engagementStatus).toEqual([
          expect.objectContaining({ runId }),
        ]);
      }
    });
  }

  it('over HTTP POST and GET, an unknown hash gets PERSISTED_QUERY_NOT_FOUND and runs nothing', async () => {
    const variables = { domain: 'acme.com' };
    for (const document of [
      byId(UNKNOWN_HASH),
      { extensions: { persistedQuery: { version: 1 as const, sha256Hash: UNKNOWN_HASH } } },
    ]) {
      const posted = await graphqlRequest(server.graphqlUrl, document, variables);
      expect(codeOf(posted)).toBe('PERSISTED_QUERY_NOT_FOUND');
      expect(posted.data ?? null).toBeNull();
      expect(codeOf(await getRequest(document, variables))).toBe('PERSISTED_QUERY_NOT_FOUND');
    }
    expect(await server.app.services.runs.list('acme.com', 10)).toEqual([]);
  });

  it('applies the same rule to a multipart response, as to everything Yoga parses', async () => {
    const runId = await startRun();
    const multipart = async (document: DocumentRef) => {
      const response = await fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'multipart/mixed' },
        body: JSON.stringify({
          ...(typeof document === 'string' ? { query: document } : document),
          variables: { domain: 'acme.com', runId },
        }),
      });
      expect(response.headers.get('content-type')).toMatch(/^multipart\/mixed/);
      return response.text();
    };
    const [byHash, , asText] = namings(EngagementStatusDocument);
    expect(await multipart(byHash?.[1] as DocumentRef)).toContain(runId);
    const text = await multipart(asText?.[1] as DocumentRef);
    if (enforced) {
      expect(text).toContain('PERSISTED_QUERY_ONLY');
      expect(text).not.toContain(runId);
    } else {
      expect(text).toContain(runId);
    }
    expect(await multipart(byId(UNKNOWN_HASH))).toContain('PERSISTED_QUERY_NOT_FOUND');
  });

  describe.each(TRANSPORTS)('subscriptions over %s', (transport) => {
    function watch(document: DocumentRef, runId: string) {
      const sub = subscribe<RunEvent>({ transport, ...server }, document, {
        domain: 'acme.com',
        runId,
      });
      open.push(sub);
      return sub;
    }

    for (const [naming, document] of namings(EngagementUpdatedDocument)) {
      if (enforced && naming === 'its text') {
        it('refuses a subscription sent as text with PERSISTED_QUERY_ONLY', async () => {
          const runId = await startRun();
          const sub = watch(document, runId);
          await sub.ended;
          expect(sub.events).toEqual([]);
          // graphql-ws hands its `error` message's list whole; graphql-sse each error.
          expect(sub.errors.flat()).toEqual([
            expect.objectContaining({
              extensions: expect.objectContaining({ code: 'PERSISTED_QUERY_ONLY' }),
            }),
          ]);
          expect(server.app.services.runs.openWatches).toBe(0);
        });
        continue;
      }
      it(`streams a subscription named by ${naming} to its completion`, async () => {
        const runId = await startRun();
        const run = await pipeline.started(runId);
        const sub = watch(document, runId);
        await sub.waitFor(1);
        run.finish(sampleSummary());
        expect(await sub.ended).toBe('complete');
        expect(sub.errors).toEqual([]);
        expect(sub.events.map((e) => e.engagementUpdated.status)).toEqual([
          'PROCESSING',
          'COMPLETE',
        ]);
      });
    }

    if (enforced) {
      it("refuses the text of a live shared stream's document, the stream going on", async () => {
        const runId = await startRun();
        const run = await pipeline.started(runId);
        const [byHash, , asText] = namings(EngagementUpdatedDocument);
        const opener = watch(byHash?.[1] as DocumentRef, runId);
        await opener.waitFor(1);
        const joiner = watch(asText?.[1] as DocumentRef, runId);
        await joiner.ended;
        expect(joiner.events).toEqual([]);
        expect(joiner.errors.flat()).toEqual([
          expect.objectContaining({
            extensions: expect.objectContaining({ code: 'PERSISTED_QUERY_ONLY' }),
          }),
        ]);
        run.finish(sampleSummary());
        expect(await opener.ended).toBe('complete');
        expect(opener.events.map((e) => e.engagementUpdated.status)).toEqual([
          'PROCESSING',
          'COMPLETE',
        ]);
      });
    }

    it('answers an unknown hash with PERSISTED_QUERY_NOT_FOUND', async () => {
      const runId = await startRun();
      const sub = watch(byId(UNKNOWN_HASH), runId);
      await sub.ended;
      expect(sub.events).toEqual([]);
      expect(sub.errors.flat()).toEqual([
        expect.objectContaining({
          extensions: expect.objectContaining({ code: 'PERSISTED_QUERY_NOT_FOUND' }),
        }),
      ]);
    });
  });

  it('keeps the polling routes working (they run no GraphQL document)', async () => {
    const base = `${server.url}/make-server-888f4514`;
    const started = await fetch(`${base}/engagement-summary`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ domain: 'acme.com' }),
    });
    expect(started.status).toBe(200);
    const { run_id: runId } = (await started.json()) as { run_id: string };
    const status = await fetch(`${base}/engagement-status?domain=acme.com&run_id=${runId}`);
    expect(await status.json()).toEqual([expect.objectContaining({ run_id: runId })]);
  });
});
