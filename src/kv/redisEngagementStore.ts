import type { Redis } from 'ioredis';
import {
  isTerminal,
  type RunDeletedNotice,
  type RunRecord,
  type RunRef,
} from '../model/runRecord.ts';
import type { WriteRefusal, WriteResult } from '../model/versionedRunStore.ts';
import type { EngagementStore } from './engagementStore.ts';
import type { KeySpace } from './keySpace.ts';
import { RedisScript } from './redisScript.ts';

const writeRunScript = new RedisScript(new URL('./lua/writeRun.lua', import.meta.url), 3);
const deleteRunScript = new RedisScript(new URL('./lua/deleteRun.lua', import.meta.url), 3);

/** How many index entries one round trip of a listing or a domain deletion handles. */
const BATCH = 500;

/** The engagement store on Redis: records as JSON strings with a TTL, one index per domain. */
export class RedisEngagementStore implements EngagementStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
    private readonly ttlSeconds: number,
  ) {}

  async write(record: RunRecord): Promise<WriteResult> {
    const json = JSON.stringify(record);
    const outcome = await writeRunScript.run(
      this.redis,
      [
        this.keys.run(record.domain, record.run_id),
        this.keys.domainIndex(record.domain),
        this.keys.openRuns(),
      ],
      [
        json,
        record.version,
        this.ttlSeconds,
        record.run_id,
        Date.parse(record.created_at),
        this.keys.runChannel(record.domain, record.run_id),
        Date.parse(record.deadline_at),
        this.keys.openRunMember(record.domain, record.run_id),
        isTerminal(record) ? '1' : '0',
        this.keys.domainChannel(record.domain),
      ],
    );
    if (outcome === 'ok') return { ok: true };
    return { ok: false, reason: outcome as WriteRefusal };
  }

  async get(domain: string, runId: string): Promise<RunRecord | null> {
    const json = await this.getRaw(domain, runId);
    return json === null ? null : (JSON.parse(json) as RunRecord);
  }

  getRaw(domain: string, runId: string): Promise<string | null> {
    return this.redis.get(this.keys.run(domain, runId));
  }

  async list(domain: string, limit: number): Promise<RunRecord[]> {
    const index = this.keys.domainIndex(domain);
    const found: RunRecord[] = [];
    let start = 0;
    while (found.length < limit) {
      // Entries whose record expired are removed as they are met, so the window only moves
      // forward by the live ones.
      const want = Math.min(BATCH, limit - found.length);
      const runIds = await this.redis.zrevrange(index, start, start + want - 1);
      if (runIds.length === 0) break;
      const values = await this.redis.mget(runIds.map((id) => this.keys.run(domain, id)));
      const expired: string[] = [];
      values.forEach((json, i) => {
        if (json === null) expired.push(runIds[i] as string);
        else found.push(JSON.parse(json) as RunRecord);
      });
      if (expired.length > 0) await this.redis.zrem(index, ...expired);
      start += runIds.length - expired.length;
      if (runIds.length < want) break;
    }
    return found;
  }

  async delete(domain: string, runId: string): Promise<boolean> {
    const notice: RunDeletedNotice = { deleted: true, domain, run_id: runId };
    const removed = await deleteRunScript.run(
      this.redis,
      [this.keys.run(domain, runId), this.keys.domainIndex(domain), this.keys.openRuns()],
      [
        runId,
        this.keys.runChannel(domain, runId),
        JSON.stringify(notice),
        this.keys.openRunMember(domain, runId),
        this.keys.domainChannel(domain),
      ],
    );
    return removed === 1;
  }

  async deleteAll(domain: string): Promise<number> {
    const index = this.keys.domainIndex(domain);
    let deleted = 0;
    for (;;) {
      const runIds = await this.redis.zrange(index, 0, String(BATCH - 1));
      if (runIds.length === 0) return deleted;
      const removed = await Promise.all(runIds.map((id) => this.delete(domain, id)));
      deleted += removed.filter(Boolean).length;
    }
  }

  async listOverdue(epochMs: number, limit: number): Promise<RunRef[]> {
    const members = await this.redis.zrangebyscore(
      this.keys.openRuns(),
      '-inf',
      `(${epochMs}`,
      'LIMIT',
      0,
      limit,
    );
    return members.map((member) => this.keys.parseOpenRunMember(member));
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    // The connection belongs to the composition root, which closes it.
  }
}
