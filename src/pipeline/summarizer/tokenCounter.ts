import { type BpeRanks, loadO200kRanks } from './bpeRanks.ts';
import { BytePairMerger } from './bytePairMerge.ts';

/** Counts tokens the way current OpenAI models do (o200k_base). */
export interface TokenCounter {
  count(text: string): number;
}

// tiktoken's o200k_base pre-tokenisation pattern, written for JavaScript's RegExp. Two
// changes keep it the same as tiktoken's (Rust) one: its `\s` is Unicode White_Space,
// which JavaScript's `\s` is not (that one adds U+FEFF and leaves out U+0085), and its
// case-insensitive `(?i:'s|'t|…)` is spelled out as character classes.
const CONTRACTION = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?";
const UPPER = '[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]';
const LOWER = '[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]';
const O200K_PATTERN = [
  `[^\\r\\n\\p{L}\\p{N}]?${UPPER}*${LOWER}+${CONTRACTION}`,
  `[^\\r\\n\\p{L}\\p{N}]?${UPPER}+${LOWER}*${CONTRACTION}`,
  '\\p{N}{1,3}',
  ' ?[^\\p{White_Space}\\p{L}\\p{N}]+[\\r\\n/]*',
  '\\p{White_Space}*[\\r\\n]+',
  '\\p{White_Space}+(?!\\P{White_Space})',
  '\\p{White_Space}+',
].join('|');

/**
 * Counts o200k_base tokens exactly as OpenAI's tiktoken encodes text (as ordinary text:
 * `<|endoftext|>` in a transcript is counted as the characters it is). The ranks are read
 * on the first count, then shared by every count of this counter: ~14 MB of RSS in all,
 * where js-tiktoken's took ~130 MB (figures in the README, "How a run works").
 */
export class TiktokenCounter implements TokenCounter {
  private readonly pattern = new RegExp(O200K_PATTERN, 'gu');
  private readonly utf8 = new TextEncoder();
  private merger: BytePairMerger | undefined;
  private bytes = new Uint8Array(256);

  constructor(private readonly loadRanks: () => BpeRanks = loadO200kRanks) {}

  count(text: string): number {
    this.merger ??= new BytePairMerger(this.loadRanks());
    const { merger, pattern, utf8 } = this;
    pattern.lastIndex = 0;
    let tokens = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      const piece = match[0];
      const bytes = this.bytesFor(piece.length);
      const { written } = utf8.encodeInto(piece, bytes);
      tokens += merger.count(bytes, written);
    }
    return tokens;
  }

  /** A buffer that holds any piece of this many UTF-16 units as UTF-8. */
  private bytesFor(units: number): Uint8Array {
    const needed = units * 3;
    if (needed <= this.bytes.length) return this.bytes;
    const bytes = new Uint8Array(needed);
    if (needed <= 4096 * 3) this.bytes = bytes;
    return bytes;
  }
}

/** Tokens of one chat request: each message's content plus the framing around it. */
export function chatRequestTokens(
  counter: TokenCounter,
  messages: Array<{ role: string; content: string }>,
  extraTokens = 0,
): number {
  const PER_MESSAGE = 4;
  const PER_REQUEST = 3;
  let total = PER_REQUEST + extraTokens;
  for (const message of messages) total += PER_MESSAGE + counter.count(message.content);
  return total;
}
