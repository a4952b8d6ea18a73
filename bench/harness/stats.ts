/** Order statistics over samples; the samples are not modified. */

export function sorted(samples: readonly number[]): number[] {
  return [...samples].sort((a, b) => a - b);
}

/** Nearest-rank percentile (p in 0..100) of already sorted samples; NaN when empty. */
export function percentileOfSorted(ascending: readonly number[], p: number): number {
  if (ascending.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * ascending.length);
  return ascending[Math.min(ascending.length - 1, Math.max(0, rank - 1))] as number;
}

export function percentile(samples: readonly number[], p: number): number {
  return percentileOfSorted(sorted(samples), p);
}

export interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(samples: readonly number[]): Summary {
  const ascending = sorted(samples);
  const total = ascending.reduce((sum, x) => sum + x, 0);
  return {
    count: ascending.length,
    p50: percentileOfSorted(ascending, 50),
    p90: percentileOfSorted(ascending, 90),
    p99: percentileOfSorted(ascending, 99),
    max: ascending.length > 0 ? (ascending[ascending.length - 1] as number) : Number.NaN,
    mean: ascending.length > 0 ? total / ascending.length : Number.NaN,
  };
}

/** Monotonic time in ms. CLOCK_MONOTONIC is one clock for every process of the machine, so
 * stamps taken in different processes can be subtracted. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  });
  await Promise.all(lanes);
  return results;
}
