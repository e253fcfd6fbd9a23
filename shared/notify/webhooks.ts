/** Generic subscribers: each event POSTed as JSON and signed the Standard Webhooks way (webhook-id, -timestamp, -signature). */
import { createHash, createHmac } from 'node:crypto';
import type { WebhookSubscriber } from '../config';
import { ProviderApiError } from '../providers/http';
import { callOnce, withRetries, type HttpSettings } from './http';

/** `v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>`, where the key is the base64 after `whsec_`. */
function standardWebhookSignature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** A stable, non-secret name for a subscriber in records and logs: URLs may carry tokens in their query. */
export function subscriberKey(subscriber: Pick<WebhookSubscriber, 'url'>): string {
  return createHash('sha256').update(subscriber.url).digest('hex').slice(0, 16);
}

/** What logs may say about a subscriber: scheme, host and path, no query or credentials. */
export function subscriberLabel(subscriber: Pick<WebhookSubscriber, 'url'>): string {
  const url = new URL(subscriber.url);
  return `${url.protocol}//${url.host}${url.pathname}`;
}

export function wants(subscriber: WebhookSubscriber, type: string): boolean {
  return !subscriber.types || subscriber.types.includes(type);
}

/** One delivery with in-invocation retries; each attempt is signed afresh so its timestamp is current. */
export async function deliverWebhook(
  http: HttpSettings,
  subscriber: WebhookSubscriber,
  eventId: string,
  body: string,
  now: () => Date = () => new Date(),
): Promise<void> {
  await withRetries(http, () => {
    const timestamp = Math.floor(now().getTime() / 1000);
    return callOnce(http, {
      method: 'POST',
      url: subscriber.url,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'hwc-provisioner',
        'webhook-id': eventId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': standardWebhookSignature(subscriber.secret, eventId, timestamp, body),
      },
      body,
      // Every non-2xx is retried for subscribers: their outages end in the DLQ, never silently dropped.
      what: `webhook ${subscriberLabel(subscriber)}`,
    }).catch((error: unknown) => {
      if (error instanceof ProviderApiError && !error.retryable) throw new ProviderApiError(error.message, error.status, true);
      throw error;
    });
  });
}
