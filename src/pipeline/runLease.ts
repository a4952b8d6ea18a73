import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { KeySpace } from '../kv/keySpace.ts';
import { RedisScript } from '../kv/redisScript.ts';

/**
 * Where run leases are kept: in Redis, so that every worker of the deployment sees them, or
 * in memory for the embedded mode's single process. Tokens are unique per claim.
 */
export interface RunLeaseStore {
  /** Claims the run with `token` unless someone holds it; true when claimed. */
  acquire(runId: string, token: string, ttlMs: number): Promise<boolean>;
  /**
   * Extends the holder's lease; takes a lapsed lease back when no one claimed the run
   * since. False when another executor took the run over.
   */
  renew(runId: string, token: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up, if `token` still holds it. */
  release(runId: string, token: string): Promise<void>;
}

/** The run was taken over by another executor: this one must stop without writing. */
export class RunLeaseLostError extends Error {
  override name = 'RunLeaseLostError';
}

/** This executor's claim on one run, renewed in the background until released. */
export interface RunLease {
  /** Aborts, with a RunLeaseLostError, as soon as the claim is known to be lost. */
  readonly signal: AbortSignal;
  /** Checks with the store that the claim still holds; throws RunLeaseLostError if not. */
  confirm(): Promise<void>;
  release(): Promise<void>;
}

/**
 * Makes the execution of a run exclusive: an executor claims the run before it works on it,
 * renews the claim every third of `ttlMs` while it works, and confirms it before each
 * store write. A claim that is not renewed for `ttlMs` (its process died) lapses, and the
 * next executor may claim the run. A holder that paused past `ttlMs` keeps the run when
 * no one claimed it meanwhile, and otherwise learns it lost it (its signal aborts).
 */
export class RunLeases {
  /** How often an executor waiting for another's lease looks again. */
  readonly pollIntervalMs: number;

  constructor(
    private readonly store: RunLeaseStore,
    readonly ttlMs: number,
  ) {
    this.pollIntervalMs = Math.min(1_000, Math.max(50, Math.floor(ttlMs / 4)));
  }

  /** The run's lease, or null when another executor holds it now. */
  async tryAcquire(runId: string): Promise<RunLease | null> {
    const token = randomUUID();
    if (!(await this.store.acquire(runId, token, this.ttlMs))) return null;
    return new HeldRunLease(this.store, runId, token, this.ttlMs);
  }
}

class HeldRunLease implements RunLease {
  private readonly lost = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private renewing: Promise<boolean> | undefined;
  private released = false;

  constructor(
    private readonly store: RunLeaseStore,
    private readonly runId: string,
    private readonly token: string,
    private readonly ttlMs: number,
  ) {
    // A failed renewal (Redis unreachable) is tried again on the next tick; the lease is
    // only given up when the store says another executor has it.
    this.timer = setInterval(
      () =>
        void this.renew().catch(() => {
          // Tried again on the next tick (see above).
        }),
      Math.max(1, Math.floor(ttlMs / 3)),
    );
    this.timer.unref();
  }

  get signal(): AbortSignal {
    return this.lost.signal;
  }

  async confirm(): Promise<void> {
    if (!(await this.renew())) throw this.lost.signal.reason;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    if (!this.lost.signal.aborted) await this.store.release(this.runId, this.token);
  }

  /** One renewal at a time: a confirm during a background renewal shares its answer. */
  private renew(): Promise<boolean> {
    if (this.lost.signal.aborted) return Promise.resolve(false);
    if (this.released) return Promise.resolve(true);
    this.renewing ??= this.store
      .renew(this.runId, this.token, this.ttlMs)
      .then((held) => {
        if (!held) this.markLost();
        return held;
      })
      .finally(() => {
        this.renewing = undefined;
      });
    return this.renewing;
  }

  private markLost(): void {
    clearInterval(this.timer);
    this.lost.abort(new RunLeaseLostError(`run ${this.runId} was taken over by another executor`));
  }
}

const acquireScript = new RedisScript(new URL('./lua/acquireRunLease.lua', import.meta.url), 2);
const renewScript = new RedisScript(new URL('./lua/renewRunLease.lua', import.meta.url), 2);
const releaseScript = new RedisScript(new URL('./lua/releaseRunLease.lua', import.meta.url), 2);

/** Leases in Redis (`run-lease:{runId}`, `run-lease-holder:{runId}` under KV_PREFIX). */
export class RedisRunLeaseStore implements RunLeaseStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
    /** How long a lapsed holder is remembered (and may take its lease back): a run's lifetime. */
    private readonly holderTtlMs: number,
  ) {}

  async acquire(runId: string, token: string, ttlMs: number): Promise<boolean> {
    const holderTtlMs = Math.max(ttlMs, this.holderTtlMs);
    const claimed = await acquireScript.run(this.redis, this.keysOf(runId), [
      token,
      ttlMs,
      holderTtlMs,
    ]);
    return claimed === 1;
  }

  async renew(runId: string, token: string, ttlMs: number): Promise<boolean> {
    return (await renewScript.run(this.redis, this.keysOf(runId), [token, ttlMs])) === 1;
  }

  async release(runId: string, token: string): Promise<void> {
    await releaseScript.run(this.redis, this.keysOf(runId), [token]);
  }

  private keysOf(runId: string): string[] {
    return [this.keys.runLease(runId), this.keys.runLeaseHolder(runId)];
  }
}

/** Leases of one process (the embedded mode): the same rules, in a map. */
export class MemoryRunLeaseStore implements RunLeaseStore {
  private readonly leases = new Map<string, { token: string; expiresAt: number }>();
  private readonly holders = new Map<string, string>();

  constructor(private readonly now: () => number = Date.now) {}

  async acquire(runId: string, token: string, ttlMs: number): Promise<boolean> {
    if (this.liveLease(runId)) return false;
    this.leases.set(runId, { token, expiresAt: this.now() + ttlMs });
    this.holders.set(runId, token);
    return true;
  }

  async renew(runId: string, token: string, ttlMs: number): Promise<boolean> {
    const lease = this.liveLease(runId);
    if (lease && lease.token !== token) return false;
    if (!lease && this.holders.get(runId) !== token) return false;
    this.leases.set(runId, { token, expiresAt: this.now() + ttlMs });
    return true;
  }

  async release(runId: string, token: string): Promise<void> {
    if (this.leases.get(runId)?.token === token) this.leases.delete(runId);
    if (this.holders.get(runId) === token) this.holders.delete(runId);
  }

  private liveLease(runId: string): { token: string; expiresAt: number } | undefined {
    const lease = this.leases.get(runId);
    if (lease && lease.expiresAt <= this.now()) {
      this.leases.delete(runId);
      return undefined;
    }
    return lease;
  }
}
