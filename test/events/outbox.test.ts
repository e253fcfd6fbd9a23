import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushOutbox, type OutboxDeps } from '../../shared/events/outbox';
import { finishResourceOnce } from '../../shared/reconcile/finish';
import { EVENT_TYPES, type OutgoingEvent } from '../../shared/events/cloudevents';
import { putAcceptedRequestOnce, resourceKey } from '../../shared/store/requests';
import { useLocalResources, type LocalStack } from '../setup/stack';
import { newRequestId, request, resource } from '../store/fixtures';

describe('the outbox', () => {
  let stack: LocalStack;
  let deps: OutboxDeps;
  beforeAll(async () => {
    stack = await useLocalResources();
    deps = {
      table: { ddb: stack.ddb, tableName: stack.tableName },
      topic: { sns: stack.sns, topicArn: stack.topicArn },
      now: () => new Date(),
    };
  });
  afterAll(() => stack.close());

  const item = async (key: { pk: string; sk: string }) =>
    (await stack.ddb.send(new GetCommand({ TableName: stack.tableName, Key: key, ConsistentRead: true }))).Item!;

  async function creatingResource() {
    const requestId = newRequestId();
    const record = resource(requestId, 'nb', { state: 'Creating', huaweiId: 'hw-1' });
    expect(await putAcceptedRequestOnce(deps.table, request(requestId), [{ record, dueAt: new Date().toISOString() }])).toBe('written');
    return { record, key: resourceKey(requestId, 'Notebook', 'nb') };
  }

  /**
   * finishResourceOnce publishes and clears by itself; a topic that does not exist makes that publish fail, so
   * the event stays in the outbox as it would after a crash or an SNS outage, for the tests to flush.
   */
  const failingPublish = (warnings: string[] = []): OutboxDeps => ({
    ...deps,
    topic: { sns: stack.sns, topicArn: `${stack.topicArn}-missing` },
    logger: { warn: (m) => warnings.push(m) },
  });

  it('appends the terminal event with the state change, once, and keeps it when the publish fails', async () => {
    const { record, key } = await creatingResource();
    const warnings: string[] = [];
    expect(await finishResourceOnce(failingPublish(warnings), record, { state: 'Succeeded', ownsIdentity: false })).toBeDefined();
    const stored = await item(key);
    expect(stored).toMatchObject({ state: 'Succeeded', duePk: 'DUE' });
    expect((stored.pendingEvents as OutgoingEvent[]).map((e) => e.event.type)).toEqual([EVENT_TYPES.resourceSucceeded]);
    expect(warnings).toEqual([expect.stringContaining('publish failed')]);
    // The loser (a retried message, the poller) must not turn the success into a failure nor add an event.
    expect(await finishResourceOnce(deps, record, { state: 'Failed', ownsIdentity: false })).toBeUndefined();
    expect(await item(key)).toEqual(stored);
  });

  it('publishes, clears what it published and takes the item out of the due index', async () => {
    const { record, key } = await creatingResource();
    await finishResourceOnce(failingPublish(), record, { state: 'Failed', reason: 'CREATE_FAILED', ownsIdentity: false });
    const events = (await item(key)).pendingEvents as OutgoingEvent[];
    expect(events).toHaveLength(1);
    expect(await flushOutbox(deps, key, events)).toBe(true);
    const after = await item(key);
    expect(after).toMatchObject({ state: 'Failed' });
    expect(after.pendingEvents).toBeUndefined();
    expect(after.duePk).toBeUndefined();
  });

  it('clears only what was published: with an event appended meanwhile, the whole list stays, still due', async () => {
    const { record, key } = await creatingResource();
    await finishResourceOnce(failingPublish(), record, { state: 'Succeeded', ownsIdentity: false });
    const published = (await item(key)).pendingEvents as OutgoingEvent[];
    // Another writer appends while this publish is in flight.
    const appended = { ...published[0]!, event: { ...published[0]!.event, id: 'another-event' } };
    await stack.ddb.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: key,
        UpdateExpression: 'SET pendingEvents = list_append(pendingEvents, :e)',
        ExpressionAttributeValues: { ':e': [appended] },
      }),
    );
    expect(await flushOutbox(deps, key, published)).toBe(true);
    const after = await item(key);
    expect((after.pendingEvents as OutgoingEvent[]).map((e) => e.event.id)).toEqual([published[0]!.event.id, 'another-event']);
    expect(after.duePk).toBe('DUE');
  });

  it('keeps the outbox when the flush itself cannot publish', async () => {
    const { record, key } = await creatingResource();
    await finishResourceOnce(failingPublish(), record, { state: 'Succeeded', ownsIdentity: false });
    const events = (await item(key)).pendingEvents as OutgoingEvent[];
    expect(await flushOutbox(failingPublish(), key, events)).toBe(false);
    expect((await item(key)).pendingEvents).toEqual(events);
  });
});
