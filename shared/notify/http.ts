/** Outbound HTTP for feedback: JSON calls through the providers' one fetch helper, retried within the invocation. */
import { ProviderApiError, providerFetch, type ProviderRequest } from '../providers/http';
import { withRetries as retry } from '../retry';

export interface HttpSettings {
  fetch?: typeof fetch;
  timeoutMs: number;
  /** Attempts per call within one invocation; after that the error goes back to SQS. */
  attempts: number;
  retryBaseMs: number;
}

type CallSpec = ProviderRequest & { method: NonNullable<ProviderRequest['method']> };

/**
 * One attempt. Failures are the providers' ProviderApiError, thrown as is: the notifier's callers tell "drop"
 * from "retry" by its status and retryability.
 */
export async function callOnce(
  settings: Pick<HttpSettings, 'fetch' | 'timeoutMs'>,
  spec: CallSpec,
): Promise<{ status: number; text: string }> {
  const response = await providerFetch(settings, spec);
  return { status: response.status, text: await response.text().catch(() => '') };
}

/** Retries what can succeed later, with doubling backoff and equal jitter; permanent errors are thrown at once. */
export function withRetries<T>(settings: Pick<HttpSettings, 'attempts' | 'retryBaseMs'>, run: () => Promise<T>): Promise<T> {
  return retry(
    {
      attempts: settings.attempts,
      base: settings.retryBaseMs,
      max: Number.POSITIVE_INFINITY,
      jitter: 'equal',
      retryable: (error) => !(error instanceof ProviderApiError) || error.retryable,
    },
    run,
  );
}

export async function callJson<T = unknown>(settings: HttpSettings, spec: CallSpec): Promise<{ status: number; body: T | undefined }> {
  const { status, text } = await withRetries(settings, () => callOnce(settings, spec));
  let body: T | undefined;
  try {
    body = text ? (JSON.parse(text) as T) : undefined;
  } catch {
    body = undefined;
  }
  return { status, body };
}

/** Descriptions have hard limits (GitHub statuses: 140 characters); cut at a character, never inside a surrogate pair. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
