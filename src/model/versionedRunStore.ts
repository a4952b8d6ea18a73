import type { RunRecord } from './runRecord.ts';

/** Why a conditional write was not applied. */
export type WriteRefusal =
  /** The stored version is not `record.version - 1`: someone wrote in between. */
  | 'stale'
  /** The stored run is COMPLETE or ERROR; it never changes again. */
  | 'terminal'
  /** An update for a run that is not stored (deleted or expired). */
  | 'missing'
  /** A version-1 write for a run that already exists. */
  | 'exists';

export type WriteResult = { ok: true } | { ok: false; reason: WriteRefusal };

/**
 * What a versioned read-modify-write needs of a store: read a run, and write the next
 * version only if nobody wrote in between. The run store in kv/ is one.
 */
export interface VersionedRunStore {
  /**
   * Stores `record` only when the stored run is at `record.version - 1` (absent for
   * version 1) and not terminal; a refused write changes nothing.
   */
  write(record: RunRecord): Promise<WriteResult>;
  get(domain: string, runId: string): Promise<RunRecord | null>;
}
