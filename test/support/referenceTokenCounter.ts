import { get_encoding, type Tiktoken } from 'tiktoken';
import type { TokenCounter } from '../../src/pipeline/summarizer/tokenCounter.ts';

/**
 * o200k_base token counts from the `tiktoken` package: OpenAI's own Rust tiktoken core
 * compiled to WebAssembly, with its own embedded copy of the ranks. Tests measure what the
 * service sent with this, independently of the service's counter (`TiktokenCounter`).
 * Text is encoded as ordinary text, as the API counts message content.
 */
export class ReferenceTokenCounter implements TokenCounter {
  private encoding: Tiktoken | undefined;

  count(text: string): number {
    this.encoding ??= get_encoding('o200k_base');
    return this.encoding.encode_ordinary(text).length;
  }

  /** Frees the WebAssembly memory of the encoding (it is made again on the next count). */
  free(): void {
    this.encoding?.free();
    this.encoding = undefined;
  }
}
