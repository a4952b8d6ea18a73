import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Redis } from 'ioredis';

/**
 * One Lua script, called by its SHA1 (EVALSHA) and sent in full only when Redis does not
 * know it yet (after a restart or SCRIPT FLUSH). Each module keeps its scripts in a `lua/`
 * folder beside it and names them relative to its own URL:
 * `new RedisScript(new URL('./lua/writeRun.lua', import.meta.url), 3)`. Bundled, every
 * module's URL is a file in dist/, so all scripts sit in dist/lua/ (names are unique; the
 * build refuses two scripts of one name).
 */
export class RedisScript {
  readonly name: string;
  private readonly source: string;
  private readonly sha: string;

  constructor(
    file: URL,
    private readonly numberOfKeys: number,
  ) {
    this.name = basename(file.pathname);
    this.source = readFileSync(file, 'utf8');
    this.sha = createHash('sha1').update(this.source).digest('hex');
  }

  async run(redis: Redis, keys: string[], args: Array<string | number>): Promise<unknown> {
    if (keys.length !== this.numberOfKeys) {
      throw new Error(`${this.name} takes ${this.numberOfKeys} keys, got ${keys.length}`);
    }
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
