import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getRequestWithResources,
  overallState,
  putAcceptedRequestOnce,
  requestKey,
  resourceKey,
  type TableRef,
} from '../../shared/store/requests';
import type { ResourceState } from '../../shared/store/types';
import { useLocalResources, type LocalStack } from '../setup/stack';
import { newRequestId, request, resource } from './fixtures';

describe('putAcceptedRequestOnce', () => {
  let stack: LocalStack;
  let table: TableRef;
  beforeAll(async () => {
    stack = await useLocalResources();
    table = { ddb: stack.ddb, tableName: stack.tableName };
  });
  afterAll(() => stack.close());

  const entries = (requestId: string, count: number) =>
    Array.from({ length: count }, (_, i) => ({ record: resource(requestId, `nb-${i}`), dueAt: '2030-01-01T00:00:00.000Z' }));
  const stored = async (key: { pk: string; sk: string }) =>
    (await stack.ddb.send(new GetCommand({ TableName: stack.tableName, Key: key, ConsistentRead: true }))).Item;

  it('writes the request, its resources and the items alongside in one go, resources in the due index', async () => {
    const requestId = newRequestId();
    const delivery = { pk: `DELIVERY#api#${requestId}`, sk: 'DELIVERY', requestId };
    expect(await putAcceptedRequestOnce(table, request(requestId, { resourceCount: 2 }), entries(requestId, 2), [delivery])).toBe(
      'written',
    );
    const read = await getRequestWithResources(table, requestId);
    expect(read!.request).toMatchObject({ requestId, phase: 'Accepted', resourceCount: 2 });
    expect(read!.resources.map((r) => r.name).sort()).toEqual(['nb-0', 'nb-1']);
    // Due from the start: a lost dispatch message is found by the poller.
    expect(await stored(resourceKey(requestId, 'Notebook', 'nb-0'))).toMatchObject({ duePk: 'DUE', dueAt: '2030-01-01T00:00:00.000Z' });
    expect(await stored({ pk: delivery.pk, sk: delivery.sk })).toMatchObject({ requestId });
  });

  it("answers 'request-exists' for a second attempt and changes nothing stored", async () => {
    const requestId = newRequestId();
    expect(await putAcceptedRequestOnce(table, request(requestId), entries(requestId, 1))).toBe('written');
    const before = await stored(requestKey(requestId));
    // A retry with a different body (say a reused idempotency key) must not overwrite the first.
    expect(await putAcceptedRequestOnce(table, request(requestId, { resourceCount: 3 }), entries(requestId, 3))).toBe('request-exists');
    expect(await stored(requestKey(requestId))).toEqual(before);
    expect((await getRequestWithResources(table, requestId))!.resources).toHaveLength(1);
  });

  it("answers 'not-written' over 100 items and writes nothing: the caller takes the resumable path", async () => {
    const requestId = newRequestId();
    // 99 resources + the request = 100 items: the most one transaction holds.
    expect(await putAcceptedRequestOnce(table, request(requestId, { resourceCount: 99 }), entries(requestId, 99))).toBe('written');
    const over = newRequestId();
    expect(await putAcceptedRequestOnce(table, request(over, { resourceCount: 100 }), entries(over, 100))).toBe('not-written');
    expect(await getRequestWithResources(table, over)).toBeUndefined();
    // Alongside items count too.
    const withDelivery = newRequestId();
    expect(
      await putAcceptedRequestOnce(table, request(withDelivery, { resourceCount: 99 }), entries(withDelivery, 99), [
        { pk: `DELIVERY#api#${withDelivery}`, sk: 'DELIVERY' },
      ]),
    ).toBe('not-written');
    expect(await stored(requestKey(withDelivery))).toBeUndefined();
  });

  it("answers 'not-written' when a resource, not the request, already exists, and leaves that resource alone", async () => {
    const requestId = newRequestId();
    const [first] = entries(requestId, 1);
    // A resource from an earlier, interrupted resumable write, already moved on by the dispatcher.
    await stack.ddb.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: { ...resourceKey(requestId, 'Notebook', 'nb-0'), ...first!.record, state: 'Creating' },
      }),
    );
    expect(await putAcceptedRequestOnce(table, request(requestId), [first!])).toBe('not-written');
    expect(await stored(requestKey(requestId))).toBeUndefined();
    expect(await stored(resourceKey(requestId, 'Notebook', 'nb-0'))).toMatchObject({ state: 'Creating' });
  });
});

describe('overallState', () => {
  const states = (...s: ResourceState[]) => s.map((state) => ({ state }));
  const accepted = (resourceCount: number) => ({ phase: 'Accepted' as const, resourceCount });

  it('is derived from the resources', () => {
    expect(overallState(accepted(2), states('Succeeded', 'Unchanged'))).toBe('Succeeded');
    expect(overallState(accepted(2), states('Failed', 'TimedOut'))).toBe('Failed');
    expect(overallState(accepted(2), states('Succeeded', 'TimedOut'))).toBe('PartiallyFailed');
    expect(overallState(accepted(2), states('Succeeded', 'Creating'))).toBe('InProgress');
  });

  it('is InProgress while recording or while resources are missing, Rejected whatever the resources say', () => {
    expect(overallState({ phase: 'Recording', resourceCount: 1 }, states('Succeeded'))).toBe('InProgress');
    // One of two recorded: the missing one may still fail.
    expect(overallState(accepted(2), states('Succeeded'))).toBe('InProgress');
    expect(overallState({ phase: 'Rejected', resourceCount: 0 }, [])).toBe('Rejected');
  });
});
