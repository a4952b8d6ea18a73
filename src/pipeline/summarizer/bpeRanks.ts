// biome-ignore-all lint/style/noNonNullAssertion: every `!` here reads a typed array at an index the loop around it keeps in bounds; a fallback (`?? 0`) would turn an indexing mistake into a wrong token count without a word, and a throw after each read would bury the algorithm.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * OpenAI's o200k_base ranks file, byte for byte as OpenAI publishes it (one
 * `<base64 token> <rank>` line per token), shipped inside the gpt-tokenizer package.
 * Resolved from node_modules at run time, so it works from the sources and from a bundle
 * that keeps packages external alike; nothing is downloaded.
 */
export const O200K_RANKS_FILE = 'gpt-tokenizer/data/o200k_base.tiktoken';

/** The digest OpenAI's tiktoken checks the same file against before using it. */
export const O200K_RANKS_SHA256 =
  '446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d';

/**
 * The byte sequences of a BPE vocabulary and their ranks, in 4 MB of typed arrays: every
 * token's bytes one after another in one buffer, and an open-addressing hash table of token
 * numbers. A token's rank is its number (the file lists ranks 0, 1, 2… in order).
 */
export class BpeRanks {
  private readonly mask: number;

  constructor(
    private readonly tokenBytes: Uint8Array,
    /** Token n's bytes are tokenBytes[tokenStarts[n], tokenStarts[n + 1]). */
    private readonly tokenStarts: Uint32Array,
    /** Token number per slot, -1 for an empty slot; the length is a power of two. */
    private readonly slots: Int32Array,
  ) {
    this.mask = slots.length - 1;
  }

  get size(): number {
    return this.tokenStarts.length - 1;
  }

  /** The rank of bytes[start, end) as one token, or -1 when it is not a token. */
  rank(bytes: Uint8Array, start: number, end: number): number {
    const length = end - start;
    const { tokenBytes, tokenStarts, slots, mask } = this;
    let slot = hashBytes(bytes, start, end) & mask;
    for (;;) {
      const token = slots[slot]!;
      if (token < 0) return -1;
      const tokenStart = tokenStarts[token]!;
      if (tokenStarts[token + 1]! - tokenStart === length) {
        let i = 0;
        while (i < length && tokenBytes[tokenStart + i] === bytes[start + i]) i++;
        if (i === length) return token;
      }
      slot = (slot + 1) & mask;
    }
  }
}

/** Reads and checks OpenAI's o200k_base ranks from node_modules. */
export function loadO200kRanks(): BpeRanks {
  const path = createRequire(import.meta.url).resolve(O200K_RANKS_FILE);
  const file = readFileSync(path);
  const digest = createHash('sha256').update(file).digest('hex');
  if (digest !== O200K_RANKS_SHA256) {
    throw new Error(`${path} is not OpenAI's o200k_base ranks file (SHA-256 ${digest})`);
  }
  return parseTiktokenRanks(file);
}

/**
 * Parses a `.tiktoken` ranks file straight from its bytes, in one pass with no string per
 * line (loading leaves almost no garbage behind). Ranks must be 0, 1, 2… in file order.
 */
export function parseTiktokenRanks(file: Uint8Array): BpeRanks {
  // Upper bounds, trimmed to size at the end: a line is at least "XXXX 0\n".
  let tokenStarts = new Uint32Array(Math.ceil(file.length / 7) + 2);
  let tokenBytes = new Uint8Array(Math.ceil((file.length * 3) / 4));
  function fail(line: number, what: string): never {
    throw new Error(`ranks file: line ${line + 1} ${what}`);
  }
  let token = 0;
  let out = 0;
  let i = 0;
  while (i < file.length) {
    tokenStarts[token] = out;
    let bits = 0;
    let bitCount = 0;
    for (; file[i] !== 0x20; i++) {
      const char = file[i];
      if (char === undefined || char === 0x0a) fail(token, 'has no rank');
      if (char === 0x3d) continue;
      const value = BASE64_VALUES[char]!;
      if (value < 0) fail(token, 'has a token that is not base64');
      bits = ((bits << 6) | value) & 0xffff;
      bitCount += 6;
      if (bitCount >= 8) {
        bitCount -= 8;
        tokenBytes[out++] = (bits >>> bitCount) & 0xff;
      }
    }
    if (out === tokenStarts[token]) fail(token, 'has an empty token');
    i++;
    let rank = 0;
    let digits = 0;
    for (; i < file.length && file[i] !== 0x0a; i++) {
      const char = file[i]!;
      if (char === 0x0d) continue;
      const digit = char - 0x30;
      if (digit < 0 || digit > 9) fail(token, 'has a rank that is not a number');
      rank = rank * 10 + digit;
      digits++;
    }
    if (digits === 0 || rank !== token) fail(token, `has rank ${rank}, expected ${token}`);
    i++;
    token++;
  }
  tokenStarts[token] = out;
  tokenStarts = tokenStarts.slice(0, token + 1);
  tokenBytes = tokenBytes.slice(0, out);

  // Load factor under 0.5, so a miss ends after a probe or two.
  let capacity = 1;
  while (capacity < token * 2) capacity *= 2;
  const slots = new Int32Array(capacity).fill(-1);
  const mask = capacity - 1;
  for (let t = 0; t < token; t++) {
    let slot = hashBytes(tokenBytes, tokenStarts[t]!, tokenStarts[t + 1]!) & mask;
    while (slots[slot] !== -1) slot = (slot + 1) & mask;
    slots[slot] = t;
  }
  return new BpeRanks(tokenBytes, tokenStarts, slots);
}

/** FNV-1a over the bytes, then a final mix so that the low bits (the slot) vary well. */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  return (hash ^ (hash >>> 13)) >>> 0;
}

const BASE64_VALUES = (() => {
  const values = new Int8Array(256).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) values[alphabet.charCodeAt(i)] = i;
  return values;
})();
