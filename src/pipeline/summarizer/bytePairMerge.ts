// biome-ignore-all lint/style/noNonNullAssertion: every `!` here reads a typed array at an index the loop around it keeps in bounds; a fallback (`?? 0`) would turn an indexing mistake into a wrong token count without a word, and a throw after each read would bury the algorithm.
import type { BpeRanks } from './bpeRanks.ts';

/** Pieces up to this many bytes reuse the merger's arrays; longer ones get their own. */
const KEPT_SCRATCH_BYTES = 4096;

interface Scratch {
  /** Parts are named by their first byte: next[p] is the part after p (length after the last). */
  next: Int32Array;
  prev: Int32Array;
  alive: Uint8Array;
  /** Candidate merges: rank * 2^32 + first byte of the left part, a min-heap. */
  heapKey: Float64Array;
  /** Where the candidate's right part ended when it was pushed (a later merge outdates it). */
  heapEnd: Int32Array;
}

/**
 * Byte-pair encoding as tiktoken does it, counting the tokens instead of listing them: the
 * adjacent pair whose bytes have the lowest rank is merged (the leftmost one among equals)
 * until no adjacent pair is a token. tiktoken rescans every pair after each merge; a heap of
 * candidate merges gives the same merges in O(n log n), so a long run of one character
 * (a ruler of dashes, a blob) does not take quadratic time.
 */
export class BytePairMerger {
  private kept: Scratch = allocateScratch(64);

  constructor(private readonly ranks: BpeRanks) {}

  /** How many tokens piece[0, length) encodes to. */
  count(piece: Uint8Array, length: number): number {
    if (length <= 1) return length;
    const ranks = this.ranks;
    if (ranks.rank(piece, 0, length) >= 0) return 1;

    const scratch = this.scratchFor(length);
    const { next, prev, alive, heapKey, heapEnd } = scratch;
    let heapSize = 0;
    const push = (rank: number, start: number, end: number) => {
      const key = rank * 0x100000000 + start;
      let i = heapSize++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (heapKey[parent]! <= key) break;
        heapKey[i] = heapKey[parent]!;
        heapEnd[i] = heapEnd[parent]!;
        i = parent;
      }
      heapKey[i] = key;
      heapEnd[i] = end;
    };

    for (let i = 0; i < length; i++) {
      next[i] = i + 1;
      prev[i] = i - 1;
      alive[i] = 1;
    }
    for (let i = 0; i + 1 < length; i++) {
      const rank = ranks.rank(piece, i, i + 2);
      if (rank >= 0) push(rank, i, i + 2);
    }

    let parts = length;
    while (heapSize > 0) {
      const key = heapKey[0]!;
      const end = heapEnd[0]!;
      // Pop: move the last entry down from the root.
      heapSize--;
      const lastKey = heapKey[heapSize]!;
      const lastEnd = heapEnd[heapSize]!;
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= heapSize) break;
        if (child + 1 < heapSize && heapKey[child + 1]! < heapKey[child]!) child++;
        if (heapKey[child]! >= lastKey) break;
        heapKey[i] = heapKey[child]!;
        heapEnd[i] = heapEnd[child]!;
        i = child;
      }
      heapKey[i] = lastKey;
      heapEnd[i] = lastEnd;

      const left = key % 0x100000000;
      const right = next[left]!;
      // Outdated: the left part was merged into its neighbour, or its right part has grown.
      if (!alive[left] || right >= length || next[right] !== end) continue;

      next[left] = end;
      if (end < length) prev[end] = left;
      alive[right] = 0;
      parts--;

      const before = prev[left]!;
      if (before >= 0) {
        const rank = ranks.rank(piece, before, end);
        if (rank >= 0) push(rank, before, end);
      }
      if (end < length) {
        const after = next[end]!;
        const rank = ranks.rank(piece, left, after);
        if (rank >= 0) push(rank, left, after);
      }
    }
    return parts;
  }

  private scratchFor(length: number): Scratch {
    if (length > KEPT_SCRATCH_BYTES) return allocateScratch(length);
    if (this.kept.next.length < length)
      this.kept = allocateScratch(Math.max(length, 2 * this.kept.next.length));
    return this.kept;
  }
}

function allocateScratch(bytes: number): Scratch {
  // Each merge pushes at most two candidates, after at most bytes - 1 initial ones.
  const heap = 3 * bytes;
  return {
    next: new Int32Array(bytes),
    prev: new Int32Array(bytes),
    alive: new Uint8Array(bytes),
    heapKey: new Float64Array(heap),
    heapEnd: new Int32Array(heap),
  };
}
