/**
 * What the dispatcher and poller send the Huawei client: the resource's own region, and, for a request the
 * client cannot build, a prompt Failed instead of ten minutes of "outcome unknown" retries.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { CloudApi } from '../../shared/reconcile/cloud';
import { dispatchResource } from '../../shared/reconcile/dispatch';
import type { HuaweiTarget } from '../../shared/huaweicloud/client';
import { resourceKey } from '../../shared/store/requests';
import { pollTick } from '../../shared/reconcile/poll';
import { getResource } from '../../shared/store/resources';
import { notebook, startHarness, type Harness } from '../execution/harness';

function edgeDeployment(suffix: string): string {
  const doc = parse(readFileSync('examples/edge-deployment.yaml', 'utf8'));
  doc.metadata.name = `app-${suffix}`;
  doc.spec.body.name = `app-${suffix}`;
  return stringify(doc);
}

describe('dispatcher and poller targets', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it("create and status reads carry the resource's own region", async () => {
    const real = h.deps.cloud;
    const seen: { call: string; name?: string; target: HuaweiTarget }[] = [];
    const recording: CloudApi = {
      create: (kind, resource, target, referenceId) => {
        seen.push({ call: `create ${kind}`, name: resource.spec.body.name as string | undefined, target });
        return real.create(kind, resource, target, referenceId);
      },
      observe: (kind, target, id) => {
        seen.push({ call: `show ${kind}`, target });
        return real.observe(kind, target, id);
      },
      findByName: (kind, target, name) => real.findByName(kind, target, name),
      update: (...args) => real.update(...args),
      delete: (...args) => real.delete(...args),
      preflight: (...args) => real.preflight(...args),
    };
    h.deps.cloud = recording;
    try {
      const requestId = await h.submitYaml(notebook('rgn1', (doc) => (doc.spec.region = 'cn-east-3')));
      await h.drive(requestId);
      const [resource] = (await h.request(requestId))!.resources;
      expect(resource).toMatchObject({ state: 'Succeeded', region: 'cn-east-3' });
      const mine = seen.filter((s) => s.name === 'nb_rgn1' || (s.call === 'show Notebook' && s.target.region === 'cn-east-3'));
      expect(mine.map((s) => s.call)).toContain('create Notebook');
      expect(mine.map((s) => s.call)).toContain('show Notebook');
      expect(mine.every((s) => s.target.region === 'cn-east-3')).toBe(true);
    } finally {
      h.deps.cloud = real;
    }
  });

  it('fails a resource at once when the client cannot build its create request', async () => {
    const requestId = await h.submitYaml(edgeDeployment('badhdr'));
    // A record stored before spec.iefInstanceId was validated: fetch refuses a header holding CR/LF.
    await h.deps.table.ddb.send(
      new UpdateCommand({
        TableName: h.deps.table.tableName,
        Key: resourceKey(requestId, 'EdgeDeployment', 'app-badhdr'),
        UpdateExpression: 'SET #m.#s.#i = :v',
        ExpressionAttributeNames: { '#m': 'manifest', '#s': 'spec', '#i': 'iefInstanceId' },
        ExpressionAttributeValues: { ':v': 'inst-1\r\nx-injected: 1' },
      }),
    );
    await h.stack.drainQueue(h.stack.queues.dispatch.url, { count: 1 });

    const result = await dispatchResource(h.deps, { requestId, kind: 'EdgeDeployment', name: 'app-badhdr' }, { receiveCount: 1 });
    expect(result).toBe('finished');
    const resource = await getResource(h.deps.table, requestId, 'EdgeDeployment', 'app-badhdr');
    expect(resource).toMatchObject({ state: 'Failed', reason: 'InvalidRequest', message: expect.stringContaining('ief-instance-id') });
    expect(resource!.message).not.toContain('x-injected');
    expect((await h.simResources()).filter((r) => r.name === 'app-badhdr')).toEqual([]);
  });

  it('the poller fails a creating resource whose status read cannot be built, instead of polling to the deadline', async () => {
    const requestId = await h.submitYaml(edgeDeployment('badhdr3'));
    await h.stack.drainQueue(h.stack.queues.dispatch.url, { count: 1 });
    expect(await dispatchResource(h.deps, { requestId, kind: 'EdgeDeployment', name: 'app-badhdr3' }, { receiveCount: 1 })).toBe(
      'creating',
    );
    await h.deps.table.ddb.send(
      new UpdateCommand({
        TableName: h.deps.table.tableName,
        Key: resourceKey(requestId, 'EdgeDeployment', 'app-badhdr3'),
        UpdateExpression: 'SET #m.#s.#i = :v',
        ExpressionAttributeNames: { '#m': 'manifest', '#s': 'spec', '#i': 'iefInstanceId' },
        ExpressionAttributeValues: { ':v': 'inst-1\0' },
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await pollTick(h.deps, { budgetMs: 5_000, concurrency: 4, requeueGraceSeconds: 2 });
    expect(await getResource(h.deps.table, requestId, 'EdgeDeployment', 'app-badhdr3')).toMatchObject({
      state: 'Failed',
      reason: 'InvalidRequest',
    });
  });

  it('fails at once too when the look-up before a repeat create cannot be built', async () => {
    const requestId = await h.submitYaml(edgeDeployment('badhdr2'));
    // An earlier attempt recorded its intent and lost the answer: this delivery must look up first.
    await h.deps.table.ddb.send(
      new UpdateCommand({
        TableName: h.deps.table.tableName,
        Key: resourceKey(requestId, 'EdgeDeployment', 'app-badhdr2'),
        UpdateExpression:
          'SET #m.#s.#i = :v, #state = :pending, attempt = :one, outcomeUnknown = :true, intentAt = :at, dispatchStartedAt = :at',
        ExpressionAttributeNames: { '#m': 'manifest', '#s': 'spec', '#i': 'iefInstanceId', '#state': 'state' },
        ExpressionAttributeValues: {
          ':v': 'inst-1\nx',
          ':pending': 'CreatePending',
          ':one': 1,
          ':true': true,
          ':at': new Date().toISOString(),
        },
      }),
    );
    await h.stack.drainQueue(h.stack.queues.dispatch.url, { count: 1 });

    const result = await dispatchResource(h.deps, { requestId, kind: 'EdgeDeployment', name: 'app-badhdr2' }, { receiveCount: 2 });
    expect(result).toBe('finished');
    expect(await getResource(h.deps.table, requestId, 'EdgeDeployment', 'app-badhdr2')).toMatchObject({
      state: 'Failed',
      reason: 'InvalidRequest',
    });
  });
});
