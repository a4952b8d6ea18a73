import { streamErrorJson } from './serialisedResults.ts';
import { JsonResultFraming } from './streamedResponse.ts';

const event = (name: string, data: string) => Buffer.from(`event: ${name}\ndata: ${data}\n\n`);

/**
 * GraphQL over SSE ("distinct connections" mode, as graphql-sse clients and GraphiQL read it,
 * and as Yoga writes it): each result as an `event: next` whose `data:` is the result's JSON,
 * `event: complete` at the end, and a comment line (`:`) as the first bytes and as the
 * heartbeat. A failed stream gets a `next` event with its errors, then `complete`.
 */
export class SseFraming extends JsonResultFraming {
  readonly transport = 'sse';
  readonly contentType = 'text/event-stream';
  readonly opening = Buffer.from(':\n\n');
  readonly heartbeat = this.opening;
  readonly closing = Buffer.from('event: complete\ndata:\n\n');
  protected frameJson(json: string): Buffer {
    return event('next', json);
  }

  failure(error: unknown): Buffer {
    return event('next', `{"errors":${streamErrorJson(error)}}`);
  }
}
