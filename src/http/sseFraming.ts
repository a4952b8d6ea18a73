import type { ExecutionResult } from 'graphql';
import type { SerialisedResults } from './serialisedResults.ts';
import { streamErrorJson } from './serialisedResults.ts';
import type { ResultFraming } from './streamedResponse.ts';

const event = (name: string, data: string) => Buffer.from(`event: ${name}\ndata: ${data}\n\n`);

/**
 * GraphQL over SSE ("distinct connections" mode, as graphql-sse clients and GraphiQL read it,
 * and as Yoga writes it): each result as an `event: next` whose `data:` is the result's JSON,
 * `event: complete` at the end, and a comment line (`:`) as the first bytes and as the
 * heartbeat. A failed stream gets a `next` event with its errors, then `complete`.
 */
export class SseFraming implements ResultFraming {
  readonly transport = 'sse';
  readonly contentType = 'text/event-stream';
  readonly opening = Buffer.from(':\n\n');
  readonly heartbeat = this.opening;
  readonly closing = Buffer.from('event: complete\ndata:\n\n');
  private readonly events = new WeakMap<ExecutionResult, Buffer>();

  constructor(private readonly serialised: SerialisedResults) {}

  frame(result: ExecutionResult): Buffer {
    let bytes = this.events.get(result);
    if (!bytes) {
      bytes = event('next', this.serialised.of(result));
      this.events.set(result, bytes);
    }
    return bytes;
  }

  failure(error: unknown): Buffer {
    return event('next', `{"errors":${streamErrorJson(error)}}`);
  }
}
