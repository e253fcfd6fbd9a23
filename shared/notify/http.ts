/** Outbound HTTP for feedback: JSON calls with a timeout, provider errors mapped to FeedbackApiError, retries with backoff. */
import { FeedbackApiError } from './errors';

export interface HttpSettings {
  fetch?: typeof fetch;
  timeoutMs: number;
  /** Attempts per call within one invocation; after that the error goes back to SQS. */
  attempts: number;
  retryBaseMs: number;
}

export interface CallSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Names the call in errors and logs; never includes credentials. */
  what: string;
  /** Answers that count as success besides 2xx (GitLab's "Cannot transition status"). */
  acceptError?: (status: number, text: string) => boolean;
}

/** 408 and 429 are "later", like 5xx; the other 4xx will not change on retry. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** One attempt. The response body is read only for the error's status check, never echoed. */
export async function callOnce(settings: Pick<HttpSettings, 'fetch' | 'timeoutMs'>, spec: CallSpec): Promise<{ status: number; text: string }> {
  const fetchImpl = settings.fetch ?? fetch;
  let response: Response;
  try {
    response = await fetchImpl(spec.url, {
      method: spec.method,
      headers: spec.headers,
      ...(spec.body !== undefined ? { body: spec.body } : {}),
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
  } catch (error) {
    throw new FeedbackApiError(`${spec.what}: ${(error as Error).name === 'TimeoutError' ? 'timed out' : 'network error'}`, undefined, true);
  }
  const text = await response.text().catch(() => '');
  if (response.ok || spec.acceptError?.(response.status, text)) return { status: response.status, text };
  const limited = response.status === 403 && response.headers.get('x-ratelimit-remaining') === '0';
  throw new FeedbackApiError(`${spec.what}: HTTP ${response.status}`, response.status, limited || retryableStatus(response.status));
}

/** Retries what can succeed later, with doubling backoff and jitter; permanent errors are thrown at once. */
export async function withRetries<T>(settings: Pick<HttpSettings, 'attempts' | 'retryBaseMs'>, run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const retryable = !(error instanceof FeedbackApiError) || error.retryable;
      if (!retryable || attempt >= settings.attempts) throw error;
      const delay = settings.retryBaseMs * 2 ** (attempt - 1);
      await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * (delay / 2)));
    }
  }
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
