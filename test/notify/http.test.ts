/** Feedback calls fail with the providers' one error class: retried within the invocation when that can help, at once otherwise. */
import { describe, expect, it } from 'vitest';
import { isRetryable, NotifyBusyError } from '../../shared/notify/errors';
import { callJson, type HttpSettings } from '../../shared/notify/http';
import { deliverWebhook } from '../../shared/notify/webhooks';
import { ProviderApiError } from '../../shared/providers/http';

/** A fetch that answers with the statuses given, in order (the last one repeated), counting the calls. */
function answers(...statuses: number[]) {
  const calls: string[] = [];
  const fetchImpl = (async (url: string | URL | Request) => {
    calls.push(String(url));
    const status = statuses[Math.min(calls.length, statuses.length) - 1]!;
    return new Response(status < 300 ? '{"id":1}' : 'no', { status });
  }) as typeof fetch;
  const http: HttpSettings = { fetch: fetchImpl, timeoutMs: 1_000, attempts: 3, retryBaseMs: 1 };
  return { calls, http };
}

const failure = async (promise: Promise<unknown>): Promise<ProviderApiError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderApiError);
  return error as ProviderApiError;
};

const spec = { method: 'POST' as const, url: 'https://api.example/status', headers: {}, what: 'status on abc' };
const SECRET = `whsec_${Buffer.from('a-32-byte-secret-for-http-tests!').toString('base64')}`;

describe('notify HTTP errors', () => {
  it('retries a retryable answer within the invocation', async () => {
    const { calls, http } = answers(503, 502, 201);
    expect(await callJson(http, spec)).toEqual({ status: 201, body: { id: 1 } });
    expect(calls).toHaveLength(3);
  });

  it('throws a permanent answer at once, as a ProviderApiError the notifier records and does not retry', async () => {
    const { calls, http } = answers(404);
    const error = await failure(callJson(http, spec));
    expect(error).toMatchObject({ status: 404, retryable: false, message: 'status on abc: HTTP 404' });
    expect(calls).toHaveLength(1);
    expect(isRetryable(error)).toBe(false);
  });

  it('hands a retryable answer that outlasts the attempts back to SQS', async () => {
    const { calls, http } = answers(500);
    const error = await failure(callJson(http, spec));
    expect(error).toMatchObject({ status: 500, retryable: true });
    expect(calls).toHaveLength(3);
    expect(isRetryable(error)).toBe(true);
  });

  it('counts anything but a permanent provider answer as retryable', () => {
    expect(isRetryable(new Error('bug or AWS hiccup'))).toBe(true);
    expect(isRetryable(new NotifyBusyError('the status'))).toBe(true);
    expect(isRetryable(new ProviderApiError('x: HTTP 403', 403, false))).toBe(false);
  });

  it('retries every failed webhook delivery, a 4xx included', async () => {
    const { calls, http } = answers(410);
    const error = await failure(deliverWebhook(http, { url: 'https://hooks.example/in', secret: SECRET }, 'evt-1', '{}'));
    expect(error).toMatchObject({ status: 410, retryable: true });
    expect(calls).toHaveLength(3);
  });
});
