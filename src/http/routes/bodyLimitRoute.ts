import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ClientAddressOf } from '../clientAddress.ts';
import { sendJson } from '../jsonHttp.ts';

/**
 * Refuses a GraphQL request body larger than `limitBytes` (413) before it is read, and one
 * of unknown length (411), since its size could not be bounded without reading it.
 */
export function bodyLimitRoute(
  path: string,
  limitBytes: number,
  log: { clientAddressOf: ClientAddressOf; logger: Logger },
) {
  const refuse = (req: IncomingMessage, res: ServerResponse, status: number, message: string) => {
    log.logger.debug({ clientAddress: log.clientAddressOf(req), status }, message);
    sendJson(res, status, { errors: [{ message }] });
    return true;
  };
  return async function limitBody(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<boolean> {
    if (url.pathname !== path || req.method !== 'POST') return false;
    const length = req.headers['content-length'];
    if (length === undefined) return refuse(req, res, 411, 'A Content-Length header is required.');
    if (Number(length) > limitBytes) {
      return refuse(req, res, 413, `The request body is larger than ${limitBytes} bytes.`);
    }
    return false;
  };
}
