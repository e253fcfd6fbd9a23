/**
 * GET /requests, GET /resources and GET /resources/{kind}/{name} through the real app and intake: newest first,
 * scoped as GET /requests/{id} (read-all sees all, others their own, an approver the held ones), validated query
 * strings with precise 400s, cursors, and a managed resource seen only by its owner.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { SecretsEnv } from '../../shared/config';
import { getRequestWithResources } from '../../shared/store/requests';
import { useLocalResources, type LocalStack } from '../setup/stack';
import { markCreated } from '../setup/managed';
import { appFor, PROJECT_ID, SECRETS } from './helpers';

const TOKENS: SecretsEnv = {
  ...SECRETS,
  API_TOKENS: [
    { caller: 'ci', token: 'ci-token-for-tests-0123456789abcdef', roles: ['submit'] },
    { caller: 'ops', token: 'ops-token-for-tests-0123456789abcdef', roles: ['submit'] },
    { caller: 'auditor', token: 'auditor-token-for-tests-0123456789ab', roles: ['read-all'] },
  ],
};
const as = (who: 'ci' | 'ops' | 'auditor') => ({ authorization: `Bearer ${TOKENS.API_TOKENS.find((t) => t.caller === who)!.token}` });

function notebook(name: string): string {
  const doc = parse(readFileSync('examples/notebook.yaml', 'utf8'));
  doc.metadata.name = name;
  doc.spec.body.name = name;
  return stringify(doc);
}

describe('list routes', () => {
  let stack: LocalStack;
  let app: ReturnType<typeof appFor>;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    stack = await useLocalResources();
    app = appFor(stack, { secrets: TOKENS });
    for (const [caller, name] of [
      ['ci', 'nb-one'],
      ['ops', 'nb-two'],
      ['ci', 'nb-three'],
    ] as const) {
      const res = await app.request('/requests', {
        method: 'POST',
        headers: { ...as(caller), 'content-type': 'application/yaml' },
        body: notebook(name),
      });
      expect(res.status).toBe(202);
      ids[name] = ((await res.json()) as { requestId: string }).requestId;
      // Creation times are milliseconds apart at best: keep the order the test asserts unambiguous.
      await new Promise((r) => setTimeout(r, 5));
    }
  });
  afterAll(async () => stack?.close());

  it("lists a caller's own requests, newest first, with a state and the source", async () => {
    const res = await app.request('/requests', { headers: as('ci') });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { requests: { requestId: string; state: string; source: { caller: string } }[] };
    expect(body.requests.map((r) => r.requestId)).toEqual([ids['nb-three'], ids['nb-one']]);
    expect(body.requests[0]).toMatchObject({ state: 'InProgress', resourceCount: 1, source: { provider: 'api', caller: 'ci' } });
  });

  it('lists everything for read-all, and only its own with mine=true', async () => {
    const all = (await (await app.request('/requests', { headers: as('auditor') })).json()) as { requests: { requestId: string }[] };
    expect(all.requests.map((r) => r.requestId)).toEqual([ids['nb-three'], ids['nb-two'], ids['nb-one']]);
    const mine = (await (await app.request('/requests?mine=true', { headers: as('auditor') })).json()) as { requests: unknown[] };
    expect(mine.requests).toEqual([]);
  });

  it('pages with limit and nextCursor', async () => {
    const first = (await (await app.request('/requests?limit=2', { headers: as('auditor') })).json()) as {
      requests: { requestId: string }[];
      nextCursor: string;
    };
    expect(first.requests).toHaveLength(2);
    const second = (await (
      await app.request(`/requests?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`, { headers: as('auditor') })
    ).json()) as { requests: { requestId: string }[] };
    expect(second.requests.map((r) => r.requestId)).toEqual([ids['nb-one']]);
  });

  it('answers a bad query string with a 400 naming the parameter', async () => {
    const cases: [string, string][] = [
      ['/requests?limit=0', 'limit'],
      ['/requests?state=Done', 'state'],
      ['/requests?source=svn', 'source'],
      ['/requests?colour=red', 'colour'],
      ['/requests?limit=5&limit=6', 'limit must be given once'],
      ['/requests?cursor=nonsense', 'cursor'],
      ['/resources?kind=Teapot', 'Teapot'],
    ];
    for (const [path, says] of cases) {
      const res = await app.request(path, { headers: as('auditor') });
      expect(res.status, path).toBe(400);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error.message, path).toContain(says);
    }
    expect((await app.request('/requests')).status).toBe(401);
  });

  it('shows managed resources to their owner and read-all, never the desired spec', async () => {
    const found = await getRequestWithResources({ ddb: stack.ddb, tableName: stack.tableName }, ids['nb-two']!);
    await markCreated({ ddb: stack.ddb, tableName: stack.tableName }, found!.resources[0]!, 'nb-huawei-id');
    const owner = (await (await app.request('/resources', { headers: as('ops') })).json()) as {
      resources: { name: string; owner: string; huaweiId: string; conditions: { Ready: { status: string } } }[];
    };
    expect(owner.resources).toHaveLength(1);
    expect(owner.resources[0]).toMatchObject({
      name: 'nb-two',
      owner: 'api:ops',
      huaweiId: 'nb-huawei-id',
      conditions: { Ready: { status: 'True' } },
    });
    expect(JSON.stringify(owner)).not.toContain('image_id');
    const other = (await (await app.request('/resources', { headers: as('ci') })).json()) as { resources: unknown[] };
    expect(other.resources).toEqual([]);
    expect((await app.request('/resources?owner=api:ops', { headers: as('ci') })).status).toBe(403);
    const all = (await (await app.request('/resources?kind=Notebook', { headers: as('auditor') })).json()) as { resources: unknown[] };
    expect(all.resources).toHaveLength(1);

    const one = await app.request(`/resources/Notebook/nb-two?projectId=${PROJECT_ID}`, { headers: as('ops') });
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({ name: 'nb-two', requestIds: [ids['nb-two']] });
    // Another namespace's resource answers as a missing one does.
    const hidden = await app.request('/resources/Notebook/nb-two', { headers: as('ci') });
    expect(hidden.status).toBe(404);
    expect(((await hidden.json()) as { error: { code: string } }).error.code).toBe('RESOURCE_NOT_FOUND');
    expect((await app.request('/resources/Teapot/x', { headers: as('auditor') })).status).toBe(404);
  });
});
