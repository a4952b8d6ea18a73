import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { RunChannelMessage, RunRecord } from '../../src/model/runRecord.ts';
import { advance, complete, fail, newRun } from '../../src/model/runTransitions.ts';
import { sampleSummary } from '../../support/scriptedPipeline.ts';
import { BACKENDS } from '../support/testApp.ts';
import { createTestBackend, type TestBackend } from '../support/testBackend.ts';

const at = (seconds: number) => new Date(Date.UTC(2025, 9, 21, 10, 0, seconds));

describe.each(BACKENDS)('engagement store on %s', (kind) => {
  let backend: TestBackend;
  beforeEach(() => {
    backend = createTestBackend(kind, { ENGAGEMENT_TTL_SECONDS: '600' });
  });
  afterEach(async () => {
    await backend.close();
  });

  const created = (domain = 'acme.com', seconds = 0) =>
    newRun(domain, randomUUID(), at(seconds), 60_000);

  it('stores a new run as version 1 and reads it back, raw and parsed', async () => {
    const run = created();
    expect(await backend.store.write(run)).toEqual({ ok: true });
    expect(await backend.store.get('acme.com', run.run_id)).toEqual(run);
    const raw = await backend.store.getRaw('acme.com', run.run_id);
    expect(JSON.parse(raw as string)).toEqual(run);
    expect(run).toMatchObject({ version: 1, status: 'processing', progress: { stage: 'queued' } });
  });

  it('applies each next version and refuses stale, duplicate and missing writes', async () => {
    const v1 = created();
    await backend.store.write(v1);
    const v2 = advance(v1, { stage: 'fetching_meetings' }, at(1));
    expect(await backend.store.write(v2)).toEqual({ ok: true });

    // A second writer that also read v1 loses: the store is at v2 already.
    const competing = advance(v1, { stage: 'summarizing' }, at(2));
    expect(await backend.store.write(competing)).toEqual({ ok: false, reason: 'stale' });
    // Replaying an old version is stale too.
    expect(await backend.store.write(v2)).toEqual({ ok: false, reason: 'stale' });
    // Creating an existing run is refused.
    expect(await backend.store.write(v1)).toEqual({ ok: false, reason: 'exists' });
    // An update of a run that was never created is refused.
    const ghost = advance(created(), { stage: 'summarizing' }, at(3));
    expect(await backend.store.write(ghost)).toEqual({ ok: false, reason: 'missing' });

    expect(await backend.store.get('acme.com', v1.run_id)).toEqual(v2);
  });

  it('never changes a run after COMPLETE or ERROR', async () => {
    for (const end of [
      (r: RunRecord) => complete(r, sampleSummary(), at(5)),
      (r: RunRecord) => fail(r, 'boom', at(5)),
    ]) {
      const v1 = created();
      await backend.store.write(v1);
      const terminal = end(v1);
      expect(await backend.store.write(terminal)).toEqual({ ok: true });
      const after = { ...terminal, status: 'processing' as const, version: terminal.version + 1 };
      expect(await backend.store.write(after)).toEqual({ ok: false, reason: 'terminal' });
      expect(await backend.store.get('acme.com', v1.run_id)).toEqual(terminal);
    }
  });

  it('publishes every applied write on the run channel, and nothing for a refused one', async () => {
    const v1 = created();
    const received: RunChannelMessage[] = [];
    const id = await backend.events.subscribe(backend.keys.runChannel('acme.com', v1.run_id), (m) =>
      received.push(m as RunChannelMessage),
    );
    await backend.store.write(v1);
    const v2 = advance(v1, { stage: 'fetching_meetings', meetingsFound: 3 }, at(1));
    await backend.store.write(v2);
    await backend.store.write(v2); // stale: not published
    const v3 = complete(v2, sampleSummary(), at(2));
    await backend.store.write(v3);
    await backend.store.delete('acme.com', v1.run_id);
    await expect.poll(() => received.length).toBe(4);
    expect(received).toEqual([
      v1,
      v2,
      v3,
      { deleted: true, domain: 'acme.com', run_id: v1.run_id },
    ]);
    backend.events.unsubscribe(id);
  });

  it('lists one domain newest first, up to the limit, without other domains', async () => {
    const runs = [created('acme.com', 1), created('acme.com', 3), created('acme.com', 2)];
    for (const run of runs) await backend.store.write(run);
    await backend.store.write(created('other.com', 4));
    const listed = await backend.store.list('acme.com', 10);
    expect(listed.map((r) => r.created_at)).toEqual(
      [at(3), at(2), at(1)].map((d) => d.toISOString()),
    );
    expect((await backend.store.list('acme.com', 2)).length).toBe(2);
    expect(await backend.store.list('nobody.com', 10)).toEqual([]);
  });

  it('deletes one run or all runs of a domain and reports what it removed', async () => {
    const a = created('acme.com', 1);
    const b = created('acme.com', 2);
    const c = created('other.com', 3);
    for (const run of [a, b, c]) await backend.store.write(run);
    expect(await backend.store.delete('acme.com', a.run_id)).toBe(true);
    expect(await backend.store.delete('acme.com', a.run_id)).toBe(false);
    expect(await backend.store.get('acme.com', a.run_id)).toBeNull();
    expect(await backend.store.deleteAll('acme.com')).toBe(1);
    expect(await backend.store.list('acme.com', 10)).toEqual([]);
    expect(await backend.store.get('other.com', c.run_id)).toEqual(c);
    // A deleted run cannot be brought back by a late pipeline write.
    expect(await backend.store.write(advance(b, { stage: 'summarizing' }, at(9)))).toEqual({
      ok: false,
      reason: 'missing',
    });
  });
});

describe('engagement store on redis: what is stored', () => {
  let backend: TestBackend;
  let redis: Redis;
  beforeEach(() => {
    backend = createTestBackend('redis', { ENGAGEMENT_TTL_SECONDS: '600' });
    redis = new Redis(inject('redisUrl'));
  });
  afterEach(async () => {
    await backend.close();
    redis.disconnect();
  });

  it('keeps the record as JSON under engagement:{domain}:{run_id} with the TTL', async () => {
    const run = newRun('acme.com', randomUUID(), new Date(), 60_000);
    await backend.store.write(run);
    const key = `${backend.keys.prefix}engagement:acme.com:${run.run_id}`;
    expect(JSON.parse((await redis.get(key)) as string)).toEqual(run);
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
    expect(await redis.ttl(backend.keys.domainIndex('acme.com'))).toBeGreaterThan(590);
  });

  it('skips and prunes index entries whose record expired', async () => {
    const kept = newRun('acme.com', randomUUID(), at(1), 60_000);
    const expired = newRun('acme.com', randomUUID(), at(2), 60_000);
    await backend.store.write(kept);
    await backend.store.write(expired);
    await redis.del(backend.keys.run('acme.com', expired.run_id));
    expect(await backend.store.list('acme.com', 10)).toEqual([kept]);
    expect(await redis.zcard(backend.keys.domainIndex('acme.com'))).toBe(1);
  });
});
