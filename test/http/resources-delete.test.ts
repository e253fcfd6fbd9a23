import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRequestWithResources } from '../../shared/store/requests';
import type { SecretsEnv } from '../../shared/config';
import { markCreated } from '../setup/managed';
import { useLocalResources, type LocalStack } from '../setup/stack';
import { appFor, PROJECT_ID, SECRETS } from './helpers';

const TOKENS: SecretsEnv = {
  ...SECRETS,
  API_TOKENS: [
    { caller: 'ci', token: 'api-token-for-tests-0123456789abcdef', roles: ['submit'] },
    { caller: 'other', token: 'other-token-for-tests-0123456789abcd', roles: ['submit'] },
    { caller: 'reader', token: 'reader-token-for-tests-0123456789abc', roles: ['read-all'] },
  ],
};
const auth = (token = 'api-token-for-tests-0123456789abcdef') => ({ authorization: `Bearer ${token}` });

describe('DELETE /resources/{kind}/{name}', () => {
  let stack: LocalStack;
  let app: ReturnType<typeof appFor>;
  beforeAll(async () => {
    stack = await useLocalResources();
    app = appFor(stack, { secrets: TOKENS });
    // A notebook the caller `ci` created, and one of a pool holding a node pool.
    const submitted = await app.request('/requests', {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/yaml' },
      body: [readFileSync('examples/notebook.yaml', 'utf8'), readFileSync('examples/resource-pool.yaml', 'utf8')].join('\n---\n'),
    });
    expect(submitted.status).toBe(202);
    const { requestId } = (await submitted.json()) as { requestId: string };
    expect(submitted.headers.get('location')).toBe(`/requests/${requestId}`);
    const table = { ddb: stack.ddb, tableName: stack.tableName };
    for (const resource of (await getRequestWithResources(table, requestId))!.resources)
      await markCreated(table, resource, `hw-${resource.name}`);
  });
  afterAll(() => stack.close());

  const del = (path: string, headers: Record<string, string> = auth()) => app.request(path, { method: 'DELETE', headers });

  it('accepts a removal by the owner: 202, a request id, and a Location to follow', async () => {
    const response = await del('/resources/Notebook/notebooks-test');
    expect(response.status).toBe(202);
    const body = (await response.json()) as { requestId: string; resources: unknown[] };
    expect(response.headers.get('location')).toBe(`/requests/${body.requestId}`);
    expect(body.resources).toEqual([{ kind: 'Notebook', name: 'notebooks-test', state: 'Queued' }]);
    const stored = await getRequestWithResources({ ddb: stack.ddb, tableName: stack.tableName }, body.requestId);
    expect(stored!.resources[0]).toMatchObject({ operation: 'delete', projectId: PROJECT_ID });
  });

  it('orphans instead with ?deletionPolicy=Orphan, and answers a repeated Idempotency-Key with the same request', async () => {
    const path = '/resources/ResourcePool/train-pool?deletionPolicy=Orphan';
    const first = await del(path, { ...auth(), 'idempotency-key': 'k1' });
    const second = await del(path, { ...auth(), 'idempotency-key': 'k1' });
    expect(first.status).toBe(202);
    const a = (await first.json()) as { requestId: string };
    expect(((await second.json()) as { requestId: string }).requestId).toBe(a.requestId);
    const stored = await getRequestWithResources({ ddb: stack.ddb, tableName: stack.tableName }, a.requestId);
    expect(stored!.resources[0]!.operation).toBe('orphan');
  });

  it('refuses precisely: unknown kind, nothing managed, someone else’s, bad policy, no token, no submit role', async () => {
    const cases: [string, Record<string, string>, number, string][] = [
      ['/resources/Bucket/x', auth(), 404, 'UNKNOWN_KIND'],
      ['/resources/Notebook/never-made', auth(), 404, 'RESOURCE_NOT_FOUND'],
      ['/resources/ResourcePool/train-pool?region=cn-east-3', auth(), 404, 'RESOURCE_NOT_FOUND'],
      ['/resources/ResourcePool/train-pool?region=mars', auth(), 400, 'INVALID_REGION'],
      ['/resources/ResourcePool/train-pool', auth('other-token-for-tests-0123456789abcd'), 403, 'OWNED_ELSEWHERE'],
      ['/resources/Notebook/notebooks-test?deletionPolicy=Later', auth(), 400, 'INVALID_DELETION_POLICY'],
      ['/resources/Notebook/notebooks-test?projectId=bad%20id', auth(), 400, 'INVALID_PROJECT_ID'],
      ['/resources/Notebook/notebooks-test', auth('reader-token-for-tests-0123456789abc'), 403, 'FORBIDDEN'],
      ['/resources/Notebook/notebooks-test', {}, 401, 'UNAUTHORIZED'],
    ];
    for (const [path, headers, status, code] of cases) {
      const response = await del(path, headers);
      expect([path, response.status]).toEqual([path, status]);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
    }
  });
});
