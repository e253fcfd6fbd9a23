/** Request and resource records: every write is conditional, so a retried intake never makes a second request. */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DUE_PARTITION, dueAt } from './due';
import { TERMINAL_STATES, type RequestRecord, type RequestState, type ResourceRecord } from './types';

export interface TableRef {
  ddb: DynamoDBDocumentClient;
  tableName: string;
}

/** Default for how long a queued resource may wait for its dispatch message before the poller re-queues it. */
export const QUEUED_GRACE_SECONDS = 120;

export const requestKey = (requestId: string) => ({ pk: `REQ#${requestId}`, sk: 'REQ' });
export const resourceKey = (requestId: string, kind: string, name: string) => ({ pk: `REQ#${requestId}`, sk: `RES#${kind}#${name}` });

export function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}

/** Writes the request once; returns the record already stored when another attempt got there first. */
export async function putRequestOnce(table: TableRef, record: RequestRecord): Promise<{ created: boolean; record: RequestRecord }> {
  try {
    await table.ddb.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { ...requestKey(record.requestId), type: 'request', ...record },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return { created: true, record };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const existing = await getRequest(table, record.requestId);
    if (!existing) throw error;
    return { created: false, record: existing };
  }
}

/** Writes a resource unless it exists: a resumed intake must not reset a resource the dispatcher already moved. */
export async function putResourceOnce(table: TableRef, record: ResourceRecord, graceSeconds = QUEUED_GRACE_SECONDS): Promise<boolean> {
  try {
    await table.ddb.send(
      new PutCommand({
        TableName: table.tableName,
        // Due from the start: if the dispatch message is lost, the poller finds the resource and re-queues it.
        Item: { ...resourceKey(record.requestId, record.kind, record.name), type: 'resource', duePk: DUE_PARTITION, dueAt: dueAt(new Date(record.createdAt), graceSeconds), ...record },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export async function markAccepted(table: TableRef, requestId: string, now: string): Promise<void> {
  try {
    await table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: requestKey(requestId),
        UpdateExpression: 'SET phase = :accepted, updatedAt = :now',
        ConditionExpression: 'phase = :recording',
        ExpressionAttributeValues: { ':accepted': 'Accepted', ':recording': 'Recording', ':now': now },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

function strip<T extends object>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, type: _type, duePk: _duePk, dueAt: _dueAt, pendingEvents: _pending, ...rest } = item;
  return rest as T;
}

export async function getRequest(table: TableRef, requestId: string): Promise<RequestRecord | undefined> {
  const result = await table.ddb.send(new GetCommand({ TableName: table.tableName, Key: requestKey(requestId), ConsistentRead: true }));
  return result.Item ? strip<RequestRecord>(result.Item) : undefined;
}

/** The request and all its resources in one paginated query on the request's partition. */
export async function getRequestWithResources(
  table: TableRef,
  requestId: string,
): Promise<{ request: RequestRecord; resources: ResourceRecord[] } | undefined> {
  let request: RequestRecord | undefined;
  const resources: ResourceRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await table.ddb.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': requestKey(requestId).pk },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      if (item.sk === 'REQ') request = strip<RequestRecord>(item);
      else if (typeof item.sk === 'string' && item.sk.startsWith('RES#')) resources.push(strip<ResourceRecord>(item));
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return request ? { request, resources } : undefined;
}

/** The overall state people see: derived from the resources, never stored, so it cannot drift. */
export function overallState(request: RequestRecord, resources: readonly ResourceRecord[]): RequestState {
  if (request.phase === 'Rejected') return 'Rejected';
  if (request.phase === 'Recording' || resources.length < request.resourceCount) return 'InProgress';
  if (resources.some((r) => !TERMINAL_STATES.has(r.state))) return 'InProgress';
  const good = resources.filter((r) => r.state === 'Succeeded' || r.state === 'Unchanged').length;
  if (good === resources.length) return 'Succeeded';
  return good === 0 ? 'Failed' : 'PartiallyFailed';
}
