import { isTerminal, type RunRecord } from './runRecord.ts';
import type { VersionedRunStore, WriteRefusal } from './versionedRunStore.ts';

export type UpdateOutcome =
  | { ok: true; record: RunRecord }
  | { ok: false; reason: Exclude<WriteRefusal, 'stale' | 'exists'>; current: RunRecord | null };

const MAX_ATTEMPTS = 10;

/**
 * Read-modify-write of one run with the store's version check: when another writer got in
 * between, read again and re-apply. Ends without writing when the run is gone or terminal,
 * or when the transition returns null (nothing to change).
 */
export async function updateRun(
  store: VersionedRunStore,
  domain: string,
  runId: string,
  transition: (current: RunRecord) => RunRecord | null,
): Promise<UpdateOutcome> {
  for (let attempt = 1; ; attempt++) {
    const current = await store.get(domain, runId);
    if (!current) return { ok: false, reason: 'missing', current: null };
    if (isTerminal(current)) return { ok: false, reason: 'terminal', current };
    const next = transition(current);
    if (next === null) return { ok: true, record: current };
    const result = await store.write(next);
    if (result.ok) return { ok: true, record: next };
    if (result.reason === 'stale') {
      if (attempt >= MAX_ATTEMPTS) {
        throw new Error(`run ${runId}: gave up after ${attempt} conflicting writes`);
      }
      continue;
    }
    const reason = result.reason === 'missing' ? 'missing' : 'terminal';
    return { ok: false, reason, current: await store.get(domain, runId) };
  }
}
