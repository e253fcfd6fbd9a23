/** Bearer tokens with roles: who may submit, and who may read which requests. */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsEnvSchema } from '../../shared/config';
import { useLocalResources, type LocalStack } from '../setup/stack';
import { appFor, SECRETS } from './helpers';

const CI = 'ci-token-0123456789abcdef0123456789';
const OTHER = 'other-token-0123456789abcdef01234567';
const AUDIT = 'audit-token-0123456789abcdef01234567==';
const { API_TOKENS } = SecretsEnvSchema.parse({ API_TOKENS: `ci=${CI},other=${OTHER},audit:read-all=${AUDIT}` });
const EDGE = readFileSync('examples/edge-deployment.yaml', 'utf8');

describe('API token roles', () => {
  let stack: LocalStack;
  let app: ReturnType<typeof appFor>;
  beforeAll(async () => {
    stack = await useLocalResources();
    app = appFor(stack, { secrets: { ...SECRETS, API_TOKENS } });
  });
  afterAll(() => stack.close());

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const submit = (token: string) =>
    app.request('/requests', {
      method: 'POST',
      body: EDGE.replace('name: app', 'name: roles-app'),
      headers: { 'content-type': 'application/yaml', ...bearer(token) },
    });

  it('answers GET /requests/{id} only to the submitter and to read-all, and 404 (not 403) to anyone else', async () => {
    const response = await submit(CI);
    expect(response.status).toBe(202);
    const { requestId } = (await response.json()) as { requestId: string };
    await stack.drainQueue(stack.queues.dispatch.url, { count: 1 });

    const own = await app.request(`/requests/${requestId}`, { headers: bearer(CI) });
    expect(own.status).toBe(200);
    expect(((await own.json()) as { source: unknown }).source).toEqual({
      provider: 'api',
      ref: 'api:ci',
      caller: 'ci',
      user: 'api:ci',
    });

    const stranger = await app.request(`/requests/${requestId}`, { headers: bearer(OTHER) });
    expect(stranger.status).toBe(404);
    const missing = await app.request('/requests/req_0000000000000000000000000a', { headers: bearer(OTHER) });
    expect(((await stranger.json()) as { error: { code: string } }).error.code).toBe(
      ((await missing.json()) as { error: { code: string } }).error.code,
    );

    const auditor = await app.request(`/requests/${requestId}`, { headers: bearer(AUDIT) });
    expect(auditor.status).toBe(200);
  });

  it('refuses a submission from a token without the submit role with 403', async () => {
    const response = await submit(AUDIT);
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: { code: 'FORBIDDEN', message: 'caller audit does not have the submit role' } });
  });

  it('never stores or returns the token as the caller name', async () => {
    const response = await submit(OTHER);
    const { requestId } = (await response.json()) as { requestId: string };
    await stack.drainQueue(stack.queues.dispatch.url, { count: 1 });
    const view = await (await app.request(`/requests/${requestId}`, { headers: bearer(OTHER) })).text();
    expect(view).toContain('"caller":"other"');
    expect(view).not.toContain(OTHER);
  });
});
