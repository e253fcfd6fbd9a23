import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLocalResources, type LocalStack } from '../setup/stack';
import { appFor } from './helpers';

const ALL_KINDS = readFileSync('examples/all-kinds.yaml', 'utf8');
const AUTH = { authorization: 'Bearer api-token-for-tests-0123456789abcdef' };

describe('POST /requests and GET /requests/{id}', () => {
  let stack: LocalStack;
  let app: ReturnType<typeof appFor>;
  beforeAll(async () => {
    stack = await useLocalResources();
    app = appFor(stack);
  });
  afterAll(() => stack.close());

  const post = (body: string, headers: Record<string, string> = {}) =>
    app.request('/requests', { method: 'POST', body, headers: { 'content-type': 'application/yaml', ...AUTH, ...headers } });

  it(
    'accepts a YAML request, records each resource Queued (or WaitingForDependency ' +
      'behind a pool of the request) and queues only the Queued ones',
    async () => {
      const response = await post(ALL_KINDS);
      expect(response.status).toBe(202);
      const body = (await response.json()) as any;
      expect(body.requestId).toMatch(/^req_/);
      // The node pool and the notebook name the request's pool by poolRef: the pool queues them when it ends.
      expect(body.resources).toEqual([
        { kind: 'ResourcePool', name: 'train-pool', state: 'Queued' },
        { kind: 'NodePool', name: 'train-nodepool', state: 'WaitingForDependency' },
        { kind: 'Notebook', name: 'train-notebook', state: 'WaitingForDependency' },
        { kind: 'EdgeDeployment', name: 'app', state: 'Queued' },
      ]);
      const messages = (await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 500 })).map((m) => JSON.parse(m));
      expect(messages.sort((a, b) => a.kind.localeCompare(b.kind))).toEqual([
        { requestId: body.requestId, kind: 'EdgeDeployment', name: 'app' },
        { requestId: body.requestId, kind: 'ResourcePool', name: 'train-pool' },
      ]);

      const status = await app.request(`/requests/${body.requestId}`, { headers: AUTH });
      expect(status.status).toBe(200);
      const view = (await status.json()) as any;
      expect(view).toMatchObject({
        requestId: body.requestId,
        state: 'InProgress',
        source: { provider: 'api', ref: 'api:ci', caller: 'ci' },
      });
      expect(view.resources).toHaveLength(4);
      for (const resource of view.resources) {
        const waiting = resource.kind === 'NodePool' || resource.kind === 'Notebook';
        expect(resource).toMatchObject({
          state: waiting ? 'WaitingForDependency' : 'Queued',
          projectId: '0123456789abcdef0123456789abcdef',
          region: 'cn-north-4',
          huaweiId: null,
        });
        if (waiting) expect(resource.message).toBe('waiting for ResourcePool train-pool to be ready');
        expect(Date.parse(resource.createdAt)).not.toBeNaN();
      }
    },
  );

  it('holds a JSON array to the 500-document cap of a YAML stream, refusing with 422 and queueing nothing', async () => {
    const manifest = (await import('yaml')).parse(readFileSync('examples/edge-deployment.yaml', 'utf8'));
    const many = Array.from({ length: 501 }, (_, i) => ({ ...manifest, metadata: { ...manifest.metadata, name: `cap-${i}` } }));
    const response = await post(JSON.stringify(many), { 'content-type': 'application/json' });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: { details: { documents: { errors: { message: string }[] }[] } } };
    expect(body.error.details.documents).toHaveLength(1);
    expect(body.error.details.documents[0]!.errors[0]!.message).toBe('the array holds 501 manifests; the limit is 500');
    expect(await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 300 })).toEqual([]);
  });

  it('accepts a JSON array of manifests', async () => {
    const manifest = (await import('yaml')).parse(readFileSync('examples/edge-deployment.yaml', 'utf8'));
    manifest.metadata.name = 'json-app';
    const response = await post(JSON.stringify([manifest]), { 'content-type': 'application/json' });
    expect(response.status).toBe(202);
    expect(((await response.json()) as any).resources).toEqual([{ kind: 'EdgeDeployment', name: 'json-app', state: 'Queued' }]);
    await stack.drainQueue(stack.queues.dispatch.url, { count: 1 });
  });

  it('rejects an invalid request as a whole with 422 and the CLI error format, queueing nothing', async () => {
    const broken = ALL_KINDS.replace('flavor: modelarts.vm.2u4g.dcc', 'flavr: modelarts.vm.2u4g.dcc');
    const response = await post(broken);
    expect(response.status).toBe(422);
    const body = (await response.json()) as any;
    expect(body.error.code).toBe('MANIFEST_INVALID');
    expect(body.error.details.documents).toEqual([
      expect.objectContaining({
        file: 'request',
        index: 1,
        kind: 'NodePool',
        errors: expect.arrayContaining([
          expect.objectContaining({
            path: 'spec.body.spec.resources',
            message: expect.stringContaining('did you mean "flavor"'),
            line: expect.any(Number),
            column: expect.any(Number),
          }),
        ]),
      }),
    ]);
    expect(await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 500 })).toEqual([]);
    // The rejection is on record, visible through the status API.
    const view = (await (await app.request(`/requests/${body.error.details.requestId}`, { headers: AUTH })).json()) as any;
    expect(view.state).toBe('Rejected');
    expect(view.resources).toEqual([]);
  });

  it('rejects two different manifests with the same identity in one request, and counts an identical repeat once', async () => {
    const doc = readFileSync('examples/edge-deployment.yaml', 'utf8').replace('name: app', 'name: twice-app');
    const response = await post(`${doc}\n---\n${doc.replace('replicas: 1', 'replicas: 2')}`);
    expect(response.status).toBe(422);
    const documents = ((await response.json()) as any).error.details.documents;
    expect(documents[0].errors[0]).toMatchObject({
      path: 'metadata.name',
      message: expect.stringContaining('declared twice in this request with different specs'),
    });

    const repeated = await post(`${doc}\n---\n${doc}`);
    expect(repeated.status).toBe(202);
    expect(((await repeated.json()) as { resources: unknown[] }).resources).toEqual([
      { kind: 'EdgeDeployment', name: 'twice-app', state: 'Queued' },
    ]);
    expect(await stack.drainQueue(stack.queues.dispatch.url, { count: 1 })).toHaveLength(1);
  });

  it('replays the first response for a retried Idempotency-Key and refuses a reused one', async () => {
    const doc = readFileSync('examples/notebook.yaml', 'utf8').replace('name: notebooks-test', 'name: idem-nb');
    const first = await post(doc, { 'idempotency-key': 'key-1' });
    const second = await post(doc, { 'idempotency-key': 'key-1' });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect((await second.json()) as any).toEqual((await first.json()) as any);
    expect(await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 500 })).toHaveLength(1);
    // With dependents too: the replay reports the states the first response did, not where the resources are now.
    const all = ALL_KINDS.replace(/name: (train-pool|train-nodepool|train-notebook|app)$/gm, 'name: idem-$1').replace(
      /poolRef: train-pool/g,
      'poolRef: idem-train-pool',
    );
    const firstAll = await post(all, { 'idempotency-key': 'key-2' });
    expect(firstAll.status).toBe(202);
    const firstBody = (await firstAll.json()) as any;
    expect(firstBody.resources.map((r: { state: string }) => r.state)).toEqual([
      'Queued',
      'WaitingForDependency',
      'WaitingForDependency',
      'Queued',
    ]);
    expect((await (await post(all, { 'idempotency-key': 'key-2' })).json()) as any).toEqual(firstBody);
    await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 500 });
    const reused = await post(doc.replace('api-test', 'other'), { 'idempotency-key': 'key-1' });
    expect(reused.status).toBe(409);
    expect(((await reused.json()) as any).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it.each([
    ['no token', {}, 401, 'UNAUTHORIZED'],
    ['a wrong token', { authorization: 'Bearer nope' }, 401, 'UNAUTHORIZED'],
    ['a wrong content type', { ...AUTH, 'content-type': 'text/plain' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ])('answers %s with %i', async (_label, headers, status, code) => {
    const response = await app.request('/requests', {
      method: 'POST',
      body: ALL_KINDS,
      headers: { 'content-type': 'application/yaml', ...headers },
    });
    expect(response.status).toBe(status);
    expect(((await response.json()) as any).error.code).toBe(code);
  });

  it('answers 413 for a body over 1 MiB, 400 for invalid UTF-8 and 422 for an empty body', async () => {
    expect((await post('a'.repeat(1024 * 1024 + 1))).status).toBe(413);
    const invalid = await app.request('/requests', {
      method: 'POST',
      body: new Uint8Array([0x6b, 0x3a, 0xff, 0xfe]),
      headers: { 'content-type': 'application/yaml', ...AUTH },
    });
    expect(invalid.status).toBe(400);
    const empty = await post('# nothing\n');
    expect(empty.status).toBe(422);
    expect(((await empty.json()) as any).error.code).toBe('NO_MANIFEST');
  });

  it('answers 404 for unknown request ids and routes, and 401 before revealing either', async () => {
    expect((await app.request('/requests/req_00000000000000000000000000', { headers: AUTH })).status).toBe(404);
    expect((await app.request('/requests/../../etc', { headers: AUTH })).status).toBe(404);
    expect((await app.request('/requests/req_00000000000000000000000000')).status).toBe(401);
    expect((await app.request('/nope')).status).toBe(404);
  });

  it('serves /healthz', async () => {
    expect((await (await app.request('/healthz')).json()) as any).toEqual({ ok: true });
  });
});
