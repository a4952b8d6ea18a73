import type { EngagementStore } from '../kv/engagementStore.ts';
import { isPreviousCompleteRun } from '../model/runChanges.ts';
import type { RunRecord } from '../model/runRecord.ts';

/**
 * Runs read by the first look: the run itself, perhaps one started beside it, and nearly
 * always the previous one.
 */
const FIRST_LOOK = 4;
/** How much further each following look reaches. */
const LOOK_GROWTH = 8;

/**
 * The domain's newest COMPLETE run created before `run` that is still stored (deleted and
 * expired runs are not listed), or null. Reads the domain's newest runs first and looks
 * further back only while it has not found one, so a run after a complete one reads a few
 * records, not the domain's whole history.
 */
export async function previousCompleteRun(
  store: Pick<EngagementStore, 'list'>,
  run: RunRecord,
): Promise<RunRecord | null> {
  for (let limit = FIRST_LOOK; ; limit *= LOOK_GROWTH) {
    const newestFirst = await store.list(run.domain, limit);
    const previous = newestFirst.find((candidate) => isPreviousCompleteRun(candidate, run));
    if (previous) return previous;
    if (newestFirst.length < limit) return null;
  }
}
