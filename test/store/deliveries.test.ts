import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_TTL_SECONDS, getDelivery, putDelivery, type DeliveryRecord } from '../../shared/store/deliveries';
import type { TableRef } from '../../shared/store/requests';
import { TTL_ATTRIBUTE } from '../../shared/store/schema';
import { useLocalResources, type LocalStack } from '../setup/stack';
import { newRequestId } from './fixtures';

describe('deliveries', () => {
  let stack: LocalStack;
  let table: TableRef;
  beforeAll(async () => {
    stack = await useLocalResources();
    table = { ddb: stack.ddb, tableName: stack.tableName };
  });
  afterAll(() => stack.close());

  const record = (): DeliveryRecord => {
    const requestId = newRequestId();
    return { provider: 'github', deliveryId: requestId, requestId, outcome: 'accepted', handledAt: '2025-01-01T00:00:00.000Z' };
  };
  const raw = async (r: DeliveryRecord) =>
    (
      await stack.ddb.send(
        new GetCommand({
          TableName: stack.tableName,
          Key: { pk: `DELIVERY#${r.provider}#${r.deliveryId}`, sk: 'DELIVERY' },
          ConsistentRead: true,
        }),
      )
    ).Item;

  it('stores the TTL attribute a week after the write, in epoch seconds, and hides it (and the keys) on read', async () => {
    const r = record();
    const now = new Date('2025-03-01T12:00:00.500Z');
    await putDelivery(table, r, now);
    expect((await raw(r))![TTL_ATTRIBUTE]).toBe(Math.floor(now.getTime() / 1000) + 7 * 24 * 3600);
    expect(DELIVERY_TTL_SECONDS).toBe(7 * 24 * 3600);
    expect(await getDelivery(table, r.provider, r.deliveryId)).toEqual(r);
  });

  it('is idempotent: writing the same delivery again stores the same facts', async () => {
    const r = record();
    const now = new Date('2025-03-01T12:00:00.000Z');
    await putDelivery(table, r, now);
    const first = await raw(r);
    await putDelivery(table, r, now);
    expect(await raw(r)).toEqual(first);
    expect(await getDelivery(table, r.provider, r.deliveryId)).toEqual(r);
  });

  it('keys deliveries by provider: the same id from another provider is another delivery', async () => {
    const r = record();
    await putDelivery(table, r, new Date());
    expect(await getDelivery(table, 'gitlab', r.deliveryId)).toBeUndefined();
  });
});
