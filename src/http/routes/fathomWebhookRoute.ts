import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { DeliveryLog } from '../../kv/deliveryLog.ts';
import { type FathomMeeting, fathomMeetingSchema } from '../../pipeline/fathom/fathomMeeting.ts';
import type { Tracing } from '../../tracing/tracing.ts';
import type { ClientAddressOf } from '../clientAddress.ts';
import type { Route } from '../httpServer.ts';
import { sendJson } from '../jsonHttp.ts';

export const FATHOM_WEBHOOK_PATH = '/webhooks/fathom';

/**
 * The largest delivery read. A webhook registered with transcripts carries a whole meeting;
 * an hour's transcript is a few hundred KB, so this leaves room without letting an unsigned
 * sender make the server hold much.
 */
export const WEBHOOK_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

/** Longest `webhook-id` kept (Fathom's are short; the bound keeps the delivery log small). */
const MAX_WEBHOOK_ID_LENGTH = 256;

export interface FathomWebhookDeps {
  /** FATHOM_WEBHOOK_SECRET (`whsec_…`). */
  secret: string;
  /** Which `webhook-id`s were accepted in the last 24 hours. */
  deliveries: DeliveryLog;
  /** What a new meeting sets off; called after the answer is sent. */
  onMeeting(meeting: FathomMeeting): Promise<void>;
  clientAddressOf: ClientAddressOf;
  logger: Logger;
  /** A span per delivery; the runs it starts join its trace. */
  tracing: Tracing;
}

/**
 * `POST /webhooks/fathom`: Fathom's "new meeting content ready" deliveries, verified as
 * Fathom signs them (Standard Webhooks: HMAC-SHA256 over id, timestamp and raw body; a
 * timestamp more than 5 minutes off is refused), by the Standard Webhooks reference
 * library. The signature is the route's only authentication. A delivery whose id was
 * accepted before is answered 200 and does nothing; a new one is answered 202 at once, and
 * its meeting handed to `onMeeting` afterwards.
 */
export function createFathomWebhookRoute(deps: FathomWebhookDeps): Route {
  // Built once: a malformed secret fails at start, not on the first delivery.
  const verifier = new Webhook(deps.secret);
  const { logger, clientAddressOf } = deps;

  return async function fathomWebhook(req, res, url) {
    if (url.pathname !== FATHOM_WEBHOOK_PATH) return false;
    return deps.tracing.inRequestSpan(
      {
        method: req.method ?? 'POST',
        route: FATHOM_WEBHOOK_PATH,
        headers: req.headers,
        statusCode: () => res.statusCode,
      },
      () => receive(req, res),
    );
  };

  async function receive(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const refuse = (status: number, message: string) => {
      logger.info(
        { clientAddress: clientAddressOf(req), status },
        `Fathom webhook refused: ${message}`,
      );
      sendJson(res, status, { ok: false, error: message });
      return true;
    };
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return refuse(405, 'Use POST.');
    }
    const body = await readRawBody(req, WEBHOOK_BODY_LIMIT_BYTES);
    if (body === null) {
      return refuse(413, `The request body is larger than ${WEBHOOK_BODY_LIMIT_BYTES} bytes.`);
    }
    const headers = signatureHeaders(req);
    if (!headers)
      return refuse(
        400,
        'The webhook-id, webhook-timestamp and webhook-signature headers are required.',
      );
    const id = headers['webhook-id'];
    if (id.length > MAX_WEBHOOK_ID_LENGTH) return refuse(400, 'The webhook-id is too long.');

    let payload: unknown;
    try {
      payload = verifier.verify(body, headers);
    } catch (error) {
      if (error instanceof WebhookVerificationError) {
        return refuse(401, 'The webhook signature or timestamp is not valid.');
      }
      if (error instanceof SyntaxError) return refuse(400, 'The body is not JSON.');
      throw error;
    }
    const meeting = fathomMeetingSchema.safeParse(payload);
    if (!meeting.success) return refuse(400, 'The body is not a meeting in Fathom’s shape.');

    if (!(await deps.deliveries.recordFirst(id))) {
      logger.info({ webhookId: id }, 'Fathom webhook already accepted; nothing to do');
      sendJson(res, 200, { ok: true, duplicate: true });
      return true;
    }
    sendJson(res, 202, { ok: true });
    logger.info(
      { webhookId: id, recordingId: meeting.data.recording_id },
      'Fathom webhook accepted',
    );
    deps
      .onMeeting(meeting.data)
      .catch((error: unknown) =>
        logger.error({ err: error, webhookId: id }, 'Fathom webhook could not be acted on'),
      );
    return true;
  }
}

type SignatureHeaders = Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string>;

function signatureHeaders(req: IncomingMessage): SignatureHeaders | null {
  const id = req.headers['webhook-id'];
  const timestamp = req.headers['webhook-timestamp'];
  const signature = req.headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signature !== 'string') {
    return null;
  }
  if (id === '' || timestamp === '' || signature === '') return null;
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature };
}

/** The body as UTF-8 text (what was signed), or null past `limitBytes`. */
async function readRawBody(req: IncomingMessage, limitBytes: number): Promise<string | null> {
  if (Number(req.headers['content-length'] ?? 0) > limitBytes) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
