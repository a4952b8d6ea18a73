/**
 * The two streamed forms of a subscription over HTTP, read from their text as a client
 * library reads them, for the tests and benchmarks that read them on node:http: SSE events
 * split on blank lines (the `data:` lines of each `next` event joined and parsed as JSON),
 * and Apollo's multipart parts (a part is whole once the delimiter after it has arrived; `{}`
 * parts are heartbeats; `--` after a delimiter closes the stream).
 */

/** What the text read so far holds: its results in order, what is not whole yet, the end. */
export interface StreamReading {
  results: unknown[];
  /** The text after the last whole event or part: read it again with what follows. */
  rest: string;
  complete: boolean;
}

export const SSE_ACCEPT = 'text/event-stream';
export const MULTIPART_ACCEPT =
  'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json;q=0.9';

/** GraphQL over SSE: the result of each `next` event, and whether `complete` came. */
export function readSseEvents(text: string): StreamReading {
  const reading: StreamReading = { results: [], rest: text, complete: false };
  for (let end = reading.rest.indexOf('\n\n'); end >= 0; end = reading.rest.indexOf('\n\n')) {
    const block = reading.rest.slice(0, end);
    reading.rest = reading.rest.slice(end + 2);
    let event = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data += line.slice(line[5] === ' ' ? 6 : 5);
    }
    if (event === 'next') reading.results.push(JSON.parse(data));
    else if (event === 'complete') reading.complete = true;
  }
  return reading;
}

const DELIMITER = '\r\n--graphql';

/** Apollo's multipart subscriptions: the payload of each part, and whether the stream closed. */
export function readMultipartParts(text: string): StreamReading {
  const reading: StreamReading = { results: [], rest: text, complete: false };
  for (let end = reading.rest.indexOf(DELIMITER); end >= 0; end = reading.rest.indexOf(DELIMITER)) {
    const part = reading.rest.slice(0, end);
    reading.rest = reading.rest.slice(end + DELIMITER.length);
    const body = part.indexOf('\r\n\r\n');
    if (body < 0) continue; // the opening delimiter
    const message = JSON.parse(part.slice(body + 4)) as { payload?: unknown };
    if (message.payload) reading.results.push(message.payload);
  }
  reading.complete = reading.rest.startsWith('--');
  return reading;
}
