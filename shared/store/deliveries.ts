/** Provider deliveries already handled, kept for a week (TTL): a redelivery is answered from here without re-reading the repository. */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { TableRef } from './requests';
import { TTL_ATTRIBUTE } from './schema';

/** GitHub lets a delivery be redelivered for 3 days, GitLab and Jira retry for hours: a week covers them all. */
export const DELIVERY_TTL_SECONDS = 7 * 24 * 3600;

export interface DeliveryRecord {
  provider: string;
  /**
   * What identifies the delivery: intake passes the request id, which is derived from the signed content, so a
   * replay under a fresh provider delivery header finds the first record.
   */
  deliveryId: string;
  requestId: string;
  /** What intake made of it: a request (accepted or rejected), or nothing because no manifest changed. */
  outcome: 'accepted' | 'rejected' | 'empty';
  handledAt: string;
}

const deliveryKey = (provider: string, deliveryId: string) => ({ pk: `DELIVERY#${provider}#${deliveryId}`, sk: 'DELIVERY' });

export async function getDelivery(table: TableRef, provider: string, deliveryId: string): Promise<DeliveryRecord | undefined> {
  const result = await table.ddb.send(
    new GetCommand({ TableName: table.tableName, Key: deliveryKey(provider, deliveryId), ConsistentRead: true }),
  );
  if (!result.Item) return undefined;
  const { pk: _pk, sk: _sk, [TTL_ATTRIBUTE]: _ttl, ...rest } = result.Item;
  return rest as DeliveryRecord;
}

/** The stored item, for a caller that writes it inside a transaction of its own. */
export function deliveryItem(record: DeliveryRecord, now: Date): Record<string, unknown> {
  return {
    ...deliveryKey(record.provider, record.deliveryId),
    ...record,
    [TTL_ATTRIBUTE]: Math.floor(now.getTime() / 1000) + DELIVERY_TTL_SECONDS,
  };
}

/** Idempotent: a second write of the same delivery stores the same facts. */
export async function putDelivery(table: TableRef, record: DeliveryRecord, now: Date): Promise<void> {
  await table.ddb.send(new PutCommand({ TableName: table.tableName, Item: deliveryItem(record, now) }));
}
