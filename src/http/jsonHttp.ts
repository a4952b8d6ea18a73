import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AppError, badUserInput } from '../errors.ts';

/** Small helpers for the plain JSON routes that live beside GraphQL. */

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(payload);
}

/** Reads a JSON body of at most `limitBytes`; BAD_USER_INPUT when it is larger or not JSON. */
export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limitBytes)
    throw badUserInput(`The request body is larger than ${limitBytes} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes)
      throw badUserInput(`The request body is larger than ${limitBytes} bytes.`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badUserInput('The request body is not valid JSON.');
  }
}

/** The polling contract's error shape: `{ ok: false, error }` with the code's HTTP status. */
export function sendError(
  res: ServerResponse,
  error: AppError,
  headers: Record<string, string> = {},
) {
  const extra: Record<string, string> = { ...headers };
  if (error.code === 'UNAUTHENTICATED') extra['www-authenticate'] = 'Bearer';
  if (error.retryAfterSeconds !== undefined) extra['retry-after'] = String(error.retryAfterSeconds);
  sendJson(res, error.httpStatus, { ok: false, error: error.message }, extra);
}
