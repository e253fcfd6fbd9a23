/**
 * POST /requests?dryRun=true: the plan of what submitting the body would do, with nothing recorded, queued or
 * published; invalid bodies get the 422 a submission would.
 */
import { readFileSync } from 'node:fs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createApp, type AppServices } from '../../shared/http/app';
import type { PlanCloud } from '../../shared/reconcile/plan';
import { getResource } from '../../shared/store/resources';
import { markCreated } from '../setup/managed';
import { useLocalResources, type LocalStack } from '../setup/stack';
import { intakeDepsFor, memoryLogger, SECRETS } from './helpers';

const AUTH = { authorization: 'Bearer api-token-for-tests-0123456789abcdef' };
const OTHER_TOKEN = 'other-caller-token-0123456789abcdef';
const EDGE = readFileSync('examples/edge-deployment.yaml', 'utf8');

/** The example deployment under another name, optionally with another image (a different spec). */
function edge(name: string, image?: string): Record<string, any> {
  const doc = parse(EDGE);
  doc.metadata.name = name;
  doc.spec.body.name = name;
  if (image) doc.spec.body.deployment.template.containers[0].image_url = image;
  return doc;
}
const yaml = (...docs: Record<string, any>[]) => docs.map((d) => stringify(d)).join('---\n');

describe('POST /requests?dryRun=true', () => {
  let stack: LocalStack;
  let services: AppServices;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    stack = await useLocalResources();
    // Every event intake publishes lands on the notify queue, so "nothing published" can be checked there.
    await stack.subscribeQueue(stack.topicArn, stack.queues.notify.arn);
    services = {
      intake: { ...intakeDepsFor(stack), topic: { sns: stack.sns, topicArn: stack.topicArn } },
      intakeQueue: { sqs: stack.sqs, queueUrl: stack.queues.intake.url },
      trackedBranches: [],
    };
    const tokens = [...SECRETS.API_TOKENS, { caller: 'other', token: OTHER_TOKEN, roles: ['submit' as const] }];
    app = createApp({ logger: memoryLogger(), secrets: async () => ({ ...SECRETS, API_TOKENS: tokens }), services: () => services });
  });
  afterAll(() => stack.close());

  const post = (query: string, body: string, contentType = 'application/yaml', auth: Record<string, string> = AUTH) =>
    app.request(`/requests${query}`, { method: 'POST', body, headers: { 'content-type': contentType, ...auth } });

  const itemCount = async () => (await stack.ddb.send(new ScanCommand({ TableName: stack.tableName, Select: 'COUNT' }))).Count ?? 0;
  /** Everything a submission sends: dispatch messages, and (via the topic) events; the webhook's intake queue too. */
  const drainAll = async () => ({
    dispatch: await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 300 }),
    notify: await stack.drainQueue(stack.queues.notify.url, { waitMs: 300 }),
    intake: await stack.drainQueue(stack.queues.intake.url, { waitMs: 300 }),
  });
  const nothingSent = { dispatch: [], notify: [], intake: [] };

  /** Submits `doc` for real and marks it created, as the dispatcher would once Huawei has it. */
  async function created(doc: Record<string, any>, huaweiId: string) {
    const response = await post('', yaml(doc));
    expect(response.status).toBe(202);
    const { requestId } = (await response.json()) as { requestId: string };
    await markCreated(services.intake.table, (await getResource(services.intake.table, requestId, doc.kind, doc.metadata.name))!, huaweiId);
    return requestId;
  }

  it('answers create for a new resource, exists for an existing one and update for a changed one, writing nothing', async () => {
    const ownerRequest = await created(edge('dry-existing'), 'huawei-id-existing');
    await created(edge('dry-changed'), 'huawei-id-changed');
    await drainAll();
    const items = await itemCount();

    const response = await post('?dryRun=true', yaml(edge('dry-new'), edge('dry-existing'), edge('dry-changed', 'nginx:1.27')));
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      dryRun: boolean;
      resources: { kind: string; name: string; verdict: string; detail: string }[];
    };
    expect(body).toEqual({
      dryRun: true,
      resources: [
        { kind: 'EdgeDeployment', name: 'dry-new', verdict: 'create', detail: 'in cn-north-4' },
        { kind: 'EdgeDeployment', name: 'dry-existing', verdict: 'exists', detail: expect.stringMatching(/^unchanged/) },
        {
          kind: 'EdgeDeployment',
          name: 'dry-changed',
          verdict: 'update',
          detail: expect.stringContaining('spec.body.deployment.template.containers[name=container-0].image_url'),
        },
      ],
    });
    // The caller's own resource: its Huawei id is the caller's to see.
    expect(body.resources[1]!.detail).toContain('huawei-id-existing');

    // Another caller is refused as its submission would be (422, naming the owner), never told the Huawei id or the request.
    const stranger = await post('?dryRun=true', yaml(edge('dry-existing')), 'application/yaml', { authorization: `Bearer ${OTHER_TOKEN}` });
    expect(stranger.status).toBe(422);
    const seen = (await stranger.json()) as { error: { code: string; details: { documents: { errors: { message: string }[] }[] } } };
    expect(seen.error.code).toBe('MANIFEST_INVALID');
    expect(seen.error.details.documents[0]!.errors[0]!.message).toMatch(/is managed by api:\w+; only that owner may change it/);
    expect(JSON.stringify(seen)).not.toMatch(/huawei-id-|req_/);
    expect(JSON.stringify(seen)).not.toContain(ownerRequest);

    expect(await itemCount()).toBe(items);
    expect(await drainAll()).toEqual(nothingSent);
  });

  it('plans a JSON array item by item, as a submission counts them', async () => {
    const items = await itemCount();
    const response = await post('?dryRun=true', JSON.stringify([edge('dry-json-1'), edge('dry-json-2')]), 'application/json');
    expect(response.status).toBe(200);
    expect(((await response.json()) as { resources: unknown[] }).resources).toEqual([
      { kind: 'EdgeDeployment', name: 'dry-json-1', verdict: 'create', detail: 'in cn-north-4' },
      { kind: 'EdgeDeployment', name: 'dry-json-2', verdict: 'create', detail: 'in cn-north-4' },
    ]);
    expect(await itemCount()).toBe(items);
    expect(await drainAll()).toEqual(nothingSent);
  });

  it('answers invalid manifests with the 422 a submission gets, without a request id, recording nothing', async () => {
    const broken = yaml(edge('dry-ok'), { ...edge('dry-broken'), spec: { ...edge('dry-broken').spec, replicaz: 1 } });
    const items = await itemCount();
    const dry = await post('?dryRun=true', broken);
    expect(dry.status).toBe(422);
    const dryBody = (await dry.json()) as {
      error: { code: string; message: string; details: { requestId?: string; documents: unknown[] } };
    };
    expect(await itemCount()).toBe(items);
    expect(await drainAll()).toEqual(nothingSent);

    const real = await post('', broken);
    expect(real.status).toBe(422);
    const realBody = (await real.json()) as typeof dryBody;
    const { requestId, ...realDetails } = realBody.error.details;
    expect(requestId).toMatch(/^req_/);
    expect(dryBody).toEqual({ error: { code: 'MANIFEST_INVALID', message: realBody.error.message, details: realDetails } });
    expect(dryBody.error.details.documents).toEqual([
      expect.objectContaining({ name: 'dry-broken', errors: [expect.objectContaining({ path: 'spec' })] }),
    ]);
    await drainAll();

    const empty = await post('?dryRun=true', '# nothing here\n');
    expect(empty.status).toBe(422);
    expect(((await empty.json()) as { error: { code: string } }).error.code).toBe('NO_MANIFEST');
  });

  it('refuses a dryRun that is not true or false, and submits for real with dryRun=false', async () => {
    const items = await itemCount();
    for (const query of ['?dryRun=yes', '?dryRun=', '?dryRun=TRUE', '?dryRun=true&dryRun=true']) {
      const response = await post(query, yaml(edge('dry-query')));
      expect(response.status, query).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('INVALID_QUERY');
    }
    expect(await itemCount()).toBe(items);
    expect(await drainAll()).toEqual(nothingSent);

    const real = await post('?dryRun=false', yaml(edge('dry-query')));
    expect(real.status).toBe(202);
    expect((await drainAll()).dispatch).toHaveLength(1);
  });

  it('asks Huawei Cloud, as a pull-request plan does, where the look-ups have a client', async () => {
    const asked: string[] = [];
    const cloud: PlanCloud = {
      async findByName(kind, _target, name) {
        asked.push(`${kind}/${name}`);
        return name === 'dry-by-hand' ? [{ id: 'made-in-the-console' }] : [];
      },
    };
    const withCloud = createApp({
      logger: memoryLogger(),
      secrets: async () => SECRETS,
      services: () => ({
        ...services,
        plan: { store: { table: services.intake.table, now: () => new Date() }, defaults: services.intake.defaults, cloud },
      }),
    });
    const response = await withCloud.request('/requests?dryRun=true', {
      method: 'POST',
      body: yaml(edge('dry-by-hand'), edge('dry-fresh')),
      headers: { 'content-type': 'application/yaml', ...AUTH },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { resources: unknown[] }).resources).toEqual([
      {
        kind: 'EdgeDeployment',
        name: 'dry-by-hand',
        verdict: 'conflict',
        detail: 'Huawei Cloud already has a EdgeDeployment named dry-by-hand that hwc-provisioner did not create',
      },
      { kind: 'EdgeDeployment', name: 'dry-fresh', verdict: 'create', detail: 'in cn-north-4' },
    ]);
    expect(asked).toEqual(['EdgeDeployment/dry-by-hand', 'EdgeDeployment/dry-fresh']);
  });
});
