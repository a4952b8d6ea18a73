import type { RunRecord, RunRef } from '../model/runRecord.ts';
import type { VersionedRunStore, WriteResult } from '../model/versionedRunStore.ts';

/**
 * The versioned run store. Both backends (Redis, embedded memory) implement exactly these
 * semantics, and the same test suite runs against both.
 */
export interface EngagementStore extends VersionedRunStore {
  /**
   * Atomically: check that the stored run is at `record.version - 1` (absent for version 1)
   * and not terminal; store `record` with the TTL; index it under its domain and, while it is
   * open, by its deadline; publish it on the run's channel and on its domain's. A refused
   * write changes nothing and publishes nothing.
   */
  write(record: RunRecord): Promise<WriteResult>;
  get(domain: string, runId: string): Promise<RunRecord | null>;
  /** The record's JSON exactly as stored, for clients of the polling contract. */
  getRaw(domain: string, runId: string): Promise<string | null>;
  /** Runs of one domain, newest first. Touches only that domain's index. */
  list(domain: string, limit: number): Promise<RunRecord[]>;
  /** Deletes one run and tells its watchers (and its domain's); false when it did not exist. */
  delete(domain: string, runId: string): Promise<boolean>;
  /** Deletes every run of the domain and tells their watchers; returns how many. */
  deleteAll(domain: string): Promise<number>;
  /**
   * Runs still PROCESSING whose deadline passed before `epochMs`, oldest deadline first.
   * Backed by an index of open runs kept by `write`, so nothing scans the keyspace.
   */
  listOverdue(epochMs: number, limit: number): Promise<RunRef[]>;
  /** Resolves when the backend answers; rejects when it does not. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
