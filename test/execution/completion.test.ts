import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { finishResource } from '../../shared/reconcile/finish';
import { pollTick } from '../../shared/reconcile/poll';
import { randomRequestId } from '../../shared/intake/ids';
import { submit } from '../../shared/intake/submit';
import { getRequest, markAccepted, requestKey } from '../../shared/store/requests';
import { getResource } from '../../shared/store/resources';
import { allKinds, startHarness, type Harness } from './harness';

const edge = (suffix: string) => stringify(parse(allKinds(suffix).split('---\n')[3]!));
const tick = (h: Harness) => pollTick(h.deps, { budgetMs: 5_000, concurrency: 4, requeueGraceSeconds: 2 });

/**
 * Found by the soak (npm run soak): request.completed was written only by whoever finished the last
 * resource, right after that resource's own event was published. A process that died (or a DynamoDB that
 * went away) in between, or a request accepted only after its resources had finished, left the request
 * without its completion event for ever, since nothing in the due index remembered it. An accepted
 * request now stays in the due index until request.completed is written.
 */
describe('request.completed survives a finisher that stops after the last resource event', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  async function finishBehindTheDispatchersBack(requestId: string, name: string) {
    // The message goes away and the resource ends the way a finisher that died right after finishResource leaves it.
    await h.stack.drainQueue(h.stack.queues.dispatch.url, { count: 1 });
    const resource = (await getResource(h.deps.table, requestId, 'EdgeDeployment', name))!;
    expect(
      await finishResource(h.deps, resource, {
        state: 'Failed',
        reason: 'Test',
        message: 'finished, then the process died',
        ownsIdentity: false,
      }),
    ).toBe(true);
  }

  const completed = async (requestId: string) =>
    (await h.events()).filter(
      (e) => e.type === 'hwc-provisioner.request.completed' && (e.data as { requestId: string }).requestId === requestId,
    );

  it('is written by the poller when the last finisher died before writing it', async () => {
    const requestId = await h.submitYaml(edge('cdied'));
    await finishBehindTheDispatchersBack(requestId, 'app-cdied');
    expect(await completed(requestId)).toEqual([]);

    h.advance(5_000);
    await tick(h);
    await tick(h);
    expect((await h.request(requestId))!.request.completedAt).toBeDefined();
    expect(await completed(requestId)).toHaveLength(1);
    await tick(h);
    expect(await completed(requestId)).toHaveLength(1);
  });

  it('is written when the request was accepted only after its resources had finished', async () => {
    const requestId = await h.submitYaml(edge('clate'));
    // As if intake's markAccepted had failed (DynamoDB restarting) and its retry came after the finish.
    await h.deps.table.ddb.send(
      new UpdateCommand({
        TableName: h.deps.table.tableName,
        Key: requestKey(requestId),
        UpdateExpression: 'SET phase = :r REMOVE duePk, dueAt',
        ExpressionAttributeValues: { ':r': 'Recording' },
      }),
    );
    await finishBehindTheDispatchersBack(requestId, 'app-clate');
    await markAccepted(h.deps.table, requestId, h.deps.now().toISOString());

    h.advance(5_000);
    await tick(h);
    await tick(h);
    expect(await completed(requestId)).toHaveLength(1);
  });

  /** Submits as deployed intake does: request.accepted goes into the request's outbox and out to the topic. */
  async function submitAnnounced(yaml: string, topicArn = h.deps.topic.topicArn) {
    const requestId = randomRequestId();
    const outcome = await submit(
      {
        table: h.deps.table,
        dispatch: h.deps.dispatch,
        topic: { sns: h.deps.topic.sns, topicArn },
        defaults: { projectId: 'p'.repeat(32), region: 'cn-north-4' },
        queuedGraceSeconds: 5,
        now: h.deps.now,
      },
      { requestId, source: { provider: 'api', ref: 'api:test', caller: 'test' }, files: [{ file: 'test.yaml', text: yaml }] },
    );
    expect(outcome.status).toBe('accepted');
    return requestId;
  }
  const ofRequest = async (requestId: string, type: string) =>
    (await h.events()).filter((e) => e.type === type && (e.data as { requestId: string }).requestId === requestId);

  it('is written by the poller when request.accepted was already published (the request stays in the due index)', async () => {
    const requestId = await submitAnnounced(edge('cannounced'));
    expect(await ofRequest(requestId, 'hwc-provisioner.request.accepted')).toHaveLength(1);
    await finishBehindTheDispatchersBack(requestId, 'app-cannounced');

    h.advance(5_000);
    await tick(h);
    await tick(h);
    expect(await completed(requestId)).toHaveLength(1);
  });

  it('never drops request.accepted when request.completed joins it in the outbox', async () => {
    // Intake could not publish (a topic that does not exist): request.accepted waits in the outbox.
    const requestId = await submitAnnounced(edge('cboth'), `${h.deps.topic.topicArn}-missing`);
    expect((await h.request(requestId))!.request.phase).toBe('Accepted');
    await finishBehindTheDispatchersBack(requestId, 'app-cboth');
    // Past intake's outbox retry delay, so the poller picks the request up.
    h.advance(15_000);
    await tick(h);
    await tick(h);
    const accepted = await ofRequest(requestId, 'hwc-provisioner.request.accepted');
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(new Set(accepted.map((e) => e.id)).size).toBe(1);
    expect(new Set((await completed(requestId)).map((e) => e.id)).size).toBe(1);
    expect((await completed(requestId)).length).toBeGreaterThanOrEqual(1);
    const item = (await h.deps.table.ddb.send(new GetCommand({ TableName: h.deps.table.tableName, Key: requestKey(requestId) }))).Item!;
    expect(item.pendingEvents).toBeUndefined();
    expect(item.duePk).toBeUndefined();
    expect((await getRequest(h.deps.table, requestId))!.completedAt).toBeDefined();
  });

  it('costs an idle tick nothing once every request has completed', async () => {
    h.advance(60_000);
    await tick(h);
    expect((await tick(h)).itemsRead).toBe(0);
  });
});
