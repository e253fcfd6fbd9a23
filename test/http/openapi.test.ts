import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { getRequestWithResources } from '../../shared/store/requests';
import { markCreated } from '../setup/managed';
import { useLocalResources, type LocalStack } from '../setup/stack';
import { createApp } from '../../shared/http/app';
import { createPeopleApp } from '../../shared/http/people';
import { appFor, memoryLogger, SECRETS } from './helpers';

/** Routes are registered whatever the services: none are called to list them. */
const routeOnly = {
  logger: memoryLogger(),
  secrets: async () => SECRETS,
  services: () => {
    throw new Error('not called while listing routes');
  },
};

const ALL_KINDS = readFileSync('examples/all-kinds.yaml', 'utf8');
const SUBMIT = { authorization: 'Bearer api-token-for-tests-0123456789abcdef' };
const APPROVE = { authorization: 'Bearer approver-token-for-tests-0123456789' };
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, unknown> };
};

describe('the OpenAPI description and the API reference page', () => {
  let stack: LocalStack;
  let app: ReturnType<typeof appFor>;
  let doc: Doc;
  /** The document with every $ref replaced by what it names, for turning response schemas back into validators. */
  let resolved: Doc;

  beforeAll(async () => {
    stack = await useLocalResources();
    app = appFor(stack, {
      secrets: {
        ...SECRETS,
        API_TOKENS: [...SECRETS.API_TOKENS, { caller: 'lead', token: APPROVE.authorization.slice(7), roles: ['approve'] }],
      },
    });
    const response = await app.request('/openapi.json');
    expect(response.status).toBe(200);
    doc = (await response.json()) as Doc;
    const validator = new Validator();
    await validator.validate(structuredClone(doc));
    resolved = validator.resolveRefs() as Doc;
  });
  afterAll(() => stack.close());

  /** Asserts that a real answer is one the description documents: its status, its body's schema, its error code. */
  async function conforms(method: string, path: string, response: Response) {
    const operation = resolved.paths[path]?.[method];
    expect(operation, `${method} ${path} is documented`).toBeDefined();
    const documented = operation.responses[String(response.status)];
    expect(documented, `${method} ${path} documents ${response.status}`).toBeDefined();
    const body = await response.json();
    const schema = z.fromJSONSchema(documented.content['application/json'].schema);
    const parsed = schema.safeParse(body);
    expect(parsed.error?.issues ?? [], JSON.stringify(body).slice(0, 500)).toEqual([]);
    if (response.status === 202) expect(documented.headers?.Location).toBeDefined();
    return body as any;
  }

  it('serves a document that an OpenAPI 3.1 validator accepts, publicly and cacheably', async () => {
    const response = await app.request('/openapi.json');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    const validator = new Validator();
    const result = await validator.validate((await response.json()) as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(doc.openapi).toBe('3.1.0');
  });

  it('documents exactly the routes the app registers (the /ui pages aside), with the same methods and paths', () => {
    const registered = new Set(
      [...createApp(routeOnly).routes, ...createPeopleApp(routeOnly).routes]
        .filter((r) => METHODS.includes(r.method.toLowerCase()) && !r.path.startsWith('/ui'))
        .map((r) => `${r.method.toUpperCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
    );
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.keys(item)
          .filter((m) => METHODS.includes(m))
          .map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    expect([...documented].sort()).toEqual([...registered].sort());
    expect(documented).toContain('DELETE /resources/{kind}/{name}');
    expect(documented).toContain('GET /requests');
  });

  it('describes each operation: security for all but the public ones, path parameters, error codes, shared schemas as $refs', () => {
    const PUBLIC = new Set(['/healthz', '/openapi.json', '/api']);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const schemes = operation.security.flatMap((s: object) => Object.keys(s));
        if (PUBLIC.has(path)) expect(schemes, `${method} ${path}`).toEqual([]);
        else if (path.startsWith('/webhooks/')) expect(schemes, `${method} ${path}`).toHaveLength(1);
        else expect(schemes, `${method} ${path}`).toEqual(['bearerAuth']);
        for (const name of path.match(/(?<=\{)\w+(?=\})/g) ?? [])
          expect(operation.parameters, `${method} ${path}`).toContainEqual(expect.objectContaining({ name, in: 'path', required: true }));
        expect(Object.keys(operation.responses), `${method} ${path}`).toEqual(expect.arrayContaining(['500', '503']));
      }
    }
    // Error codes are part of each refusal's schema, not only its prose.
    const removal400 = doc.paths['/resources/{kind}/{name}']!.delete.responses['400'].content['application/json'].schema;
    expect(removal400.allOf[0]).toEqual({ $ref: '#/components/schemas/Error' });
    expect(removal400.allOf[1].properties.error.properties.code.enum).toEqual([
      'PROJECT_ID_REQUIRED',
      'INVALID_PROJECT_ID',
      'INVALID_REGION',
      'INVALID_DELETION_POLICY',
      'INVALID_IDEMPOTENCY_KEY',
    ]);
    expect(doc.paths['/requests/{id}']!.get.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/RequestView',
    });
    // The webhook payloads are the schemas intake parses with, referenced rather than copied.
    expect(doc.paths['/webhooks/github']!.post.requestBody.content['application/json'].schema.anyOf).toEqual([
      { $ref: '#/components/schemas/GithubPush' },
      { $ref: '#/components/schemas/GithubPullRequest' },
    ]);
    expect((doc.components.schemas.GithubPush as any).required).toEqual(expect.arrayContaining(['ref', 'before', 'after', 'repository']));
  });

  it('documents what real calls answer: a submission, its request, lists, a 422, 404s and 400s', async () => {
    const submitted = await app.request('/requests', {
      method: 'POST',
      body: ALL_KINDS,
      headers: { 'content-type': 'application/yaml', ...SUBMIT },
    });
    expect(submitted.status).toBe(202);
    const { requestId } = await conforms('post', '/requests', submitted);

    const view = await conforms('get', '/requests/{id}', await app.request(`/requests/${requestId}`, { headers: SUBMIT }));
    expect(view.resources).toHaveLength(4);

    const broken = ALL_KINDS.replace('flavor: modelarts.vm.2u4g.dcc', 'flavr: modelarts.vm.2u4g.dcc');
    const invalid = await app.request('/requests', {
      method: 'POST',
      body: broken,
      headers: { 'content-type': 'application/yaml', ...SUBMIT },
    });
    expect(invalid.status).toBe(422);
    const rejection = await conforms('post', '/requests', invalid);
    expect(rejection.error.code).toBe('MANIFEST_INVALID');
    const rejected = await conforms(
      'get',
      '/requests/{id}',
      await app.request(`/requests/${rejection.error.details.requestId}`, { headers: SUBMIT }),
    );
    expect(rejected.errors).toHaveLength(1);

    const missing = await app.request('/requests/req_00000000000000000000000000', { headers: SUBMIT });
    expect((await conforms('get', '/requests/{id}', missing)).error.code).toBe('REQUEST_NOT_FOUND');

    const comment = await app.request(`/requests/${requestId}/approve`, {
      method: 'POST',
      body: JSON.stringify({ comment: 'x'.repeat(1_001) }),
      headers: { 'content-type': 'application/json', ...APPROVE },
    });
    expect(comment.status).toBe(400);
    expect(await conforms('post', '/requests/{id}/approve', comment)).toEqual({
      error: { code: 'INVALID_COMMENT', message: 'comment must be a string of at most 1,000 characters' },
    });

    const list = await conforms('get', '/requests', await app.request('/requests?limit=5', { headers: SUBMIT }));
    expect(list.requests.map((r: { requestId: string }) => r.requestId)).toContain(requestId);
    const badLimit = await app.request('/requests?limit=0', { headers: SUBMIT });
    expect((await conforms('get', '/requests', badLimit)).error.code).toBe('INVALID_QUERY');
    // A resource Huawei has: its conditions now show on the request, and it is listed.
    const table = { ddb: stack.ddb, tableName: stack.tableName };
    const pool = (await getRequestWithResources(table, requestId))!.resources.find((r) => r.kind === 'ResourcePool')!;
    await markCreated(table, pool, 'pool-huawei-id');
    const withConditions = await conforms('get', '/requests/{id}', await app.request(`/requests/${requestId}`, { headers: SUBMIT }));
    expect(withConditions.resources.find((r: { kind: string }) => r.kind === 'ResourcePool').conditions.Ready.status).toBe('True');
    const resources = await conforms('get', '/resources', await app.request('/resources?kind=ResourcePool', { headers: SUBMIT }));
    expect(resources.resources).toHaveLength(1);
    const one = await conforms(
      'get',
      '/resources/{kind}/{name}',
      await app.request(`/resources/ResourcePool/${pool.name}`, { headers: SUBMIT }),
    );
    expect(one.requestIds).toEqual([requestId]);
    const absent = await app.request('/resources/Notebook/never-made', { headers: SUBMIT });
    expect((await conforms('get', '/resources/{kind}/{name}', absent)).error.code).toBe('RESOURCE_NOT_FOUND');

    const region = await app.request('/resources/Notebook/train-notebook?region=mars', { method: 'DELETE', headers: SUBMIT });
    expect(region.status).toBe(400);
    expect(await conforms('delete', '/resources/{kind}/{name}', region)).toEqual({
      error: { code: 'INVALID_REGION', message: 'region must look like cn-north-4' },
    });
  });

  it('would notice an answer that strays from its schema or an undocumented error code', () => {
    const schemaOf = (path: string, method: string, status: string) =>
      z.fromJSONSchema(resolved.paths[path]![method].responses[status].content['application/json'].schema);
    expect(schemaOf('/requests/{id}', 'get', '404').safeParse({ error: { code: 'REQUEST_NOT_FOUND', message: 'm' } }).success).toBe(true);
    expect(schemaOf('/requests/{id}', 'get', '404').safeParse({ error: { code: 'FORBIDDEN', message: 'm' } }).success).toBe(false);
    expect(schemaOf('/requests', 'post', '202').safeParse({ requestId: 'req_1', resources: [] }).success).toBe(false);
  });

  it('renders every operation, its parameters, bodies and responses on the API page, with no script', async () => {
    const response = await app.request('/api');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await response.text();
    expect(page).not.toMatch(/<script/i);
    expect(page).toContain('<main>');
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const section = page.slice(page.indexOf(`<section class="operation" id="op-${operation.operationId}">`));
        expect(section.length, `${method} ${path}`).toBeLessThan(page.length);
        const own = section.slice(0, section.indexOf('</section>'));
        expect(own).toContain(`${method.toUpperCase()}</span> <code>${path}</code>`);
        for (const parameter of operation.parameters ?? []) expect(own, `${method} ${path}`).toContain(`<code>${parameter.name}</code>`);
        for (const type of Object.keys(operation.requestBody?.content ?? {})) expect(own).toContain(`<span class="media">${type}</span>`);
        for (const status of Object.keys(operation.responses)) expect(own, `${method} ${path}`).toContain(`>${status}</span>`);
      }
    }
    // Text from the schemas is escaped, never markup.
    expect(page).toContain('api:&lt;caller&gt;');
    expect(page).toContain('<section class="schema" id="schema-RequestView">');
  });
});
