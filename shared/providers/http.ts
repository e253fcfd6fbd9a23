/** The one HTTP call to a provider's API (GitHub, GitLab, Jira, webhook subscribers): a timeout, and failures as ProviderApiError. */

/** A provider API call failed; `retryable` tells the caller whether trying again (now or on redelivery) can help. Never carries tokens. */
export class ProviderApiError extends Error {
  readonly code = 'PROVIDER_API_ERROR';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'ProviderApiError';
  }
}

/** 408, 425 and 429 are "later", like 5xx; the other 4xx will not change on retry. */
function retryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

export interface ProviderRequest {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT';
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Names the call in errors and logs; never includes credentials. */
  what: string;
  /** Answers that count as success besides 2xx (GitLab's "Cannot transition status"). */
  acceptError?: (status: number, text: string) => boolean;
}

export interface ProviderTransport {
  fetch?: typeof fetch;
  timeoutMs: number;
}

/**
 * One attempt. A 2xx (or accepted) answer is returned unread; an error answer's body is read only for
 * `acceptError`, never echoed into the error.
 */
export async function providerFetch(transport: ProviderTransport, request: ProviderRequest): Promise<Response> {
  const fetchImpl = transport.fetch ?? fetch;
  let response: Response;
  try {
    response = await fetchImpl(request.url, {
      method: request.method ?? 'GET',
      headers: request.headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      signal: AbortSignal.timeout(transport.timeoutMs),
    });
  } catch (error) {
    throw new ProviderApiError(
      `${request.what}: ${(error as Error).name === 'TimeoutError' ? 'timed out' : 'network error'}`,
      undefined,
      true,
    );
  }
  if (response.ok) return response;
  if (request.acceptError) {
    const text = await response.text().catch(() => '');
    if (request.acceptError(response.status, text)) return new Response(text, { status: response.status, headers: response.headers });
  }
  // GitHub answers an exhausted rate limit with 403; it lifts by itself.
  const limited = response.status === 403 && response.headers.get('x-ratelimit-remaining') === '0';
  throw new ProviderApiError(`${request.what}: HTTP ${response.status}`, response.status, limited || retryableStatus(response.status));
}

/** Trailing slashes in configured base URLs are common; paths are appended with their own. */
export function trimBase(url: string): string {
  return url.replace(/\/$/, '');
}
