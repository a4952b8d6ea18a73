import { createHmac, randomBytes, randomUUID } from 'node:crypto';

/** A webhook key of the test's own, and its secret as Fathom hands it out (`whsec_…`). */
export function webhookKey(): { key: Buffer; secret: string } {
  const key = randomBytes(24);
  return { key, secret: `whsec_${key.toString('base64')}` };
}

/**
 * Signs a delivery as Fathom does (Standard Webhooks), independently of the service's code:
 * HMAC-SHA256 of `id.timestamp.body`, sent beside a signature that does not match.
 */
export function signedDelivery(
  body: string,
  key: Buffer,
  options: { id?: string; at?: number } = {},
) {
  const id = options.id ?? `msg_${randomUUID()}`;
  const timestamp = String(options.at ?? Math.floor(Date.now() / 1000));
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return {
    id,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1,${randomBytes(32).toString('base64')} v1,${signature}`,
    },
  };
}
