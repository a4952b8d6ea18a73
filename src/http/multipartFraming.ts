import { streamErrorJson } from './serialisedResults.ts';
import { JsonResultFraming } from './streamedResponse.ts';

const BOUNDARY = 'graphql';
const DELIMITER = `\r\n--${BOUNDARY}`;
const PART_HEADERS = '\r\nContent-Type: application/json; charset=utf-8\r\n\r\n';

/** One part: its headers, its JSON, and at once the delimiter after it. */
const part = (json: string) => Buffer.from(`${PART_HEADERS}${json}${DELIMITER}`);

/**
 * Apollo's multipart subscription protocol (`subscriptionSpec=1.0`), as Apollo Router writes
 * it and Apollo Client's HttpLink reads it:
 *
 *     \r\n--graphql                                  (opening delimiter)
 *     \r\nContent-Type: application/json; charset=utf-8\r\n\r\n
 *     {"payload":{"data":{...}}}\r\n--graphql        (each part ends with the next delimiter)
 *     ...{}\r\n--graphql                             (a heartbeat: an empty object)
 *     --\r\n                                         (the closing delimiter's tail)
 *
 * Each part is followed at once by the delimiter: a client hands a part over only when it
 * sees the delimiter after it, so a part whose delimiter waited for the next one would reach
 * the user one state late. A failed stream gets Apollo's transport error part,
 * `{"payload":null,"errors":[...]}`, then the closing delimiter.
 */
export class MultipartFraming extends JsonResultFraming {
  readonly transport = 'multipart';
  readonly contentType = `multipart/mixed; boundary="${BOUNDARY}"; subscriptionSpec="1.0"`;
  readonly opening = Buffer.from(DELIMITER);
  readonly heartbeat = part('{}');
  readonly closing = Buffer.from('--\r\n');
  protected frameJson(json: string): Buffer {
    return part(`{"payload":${json}}`);
  }

  failure(error: unknown): Buffer {
    return part(`{"payload":null,"errors":${streamErrorJson(error)}}`);
  }
}
