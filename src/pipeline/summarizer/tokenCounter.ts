import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';

/** Counts tokens the way current OpenAI models do (o200k_base). */
export interface TokenCounter {
  count(text: string): number;
}

/** The BPE ranks take ~0.5 s to load: loaded on the first count, then shared. */
export class TiktokenCounter implements TokenCounter {
  private encoder: Tiktoken | undefined;

  count(text: string): number {
    this.encoder ??= new Tiktoken(o200kBase);
    return this.encoder.encode(text).length;
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
