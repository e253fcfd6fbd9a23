/** Resource records as the dispatcher and poller see them: reads and guarded state transitions. */
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DUE_INDEX } from './schema';
import { DUE_PARTITION } from './due';
import { isConditionFailure, requestKey, resourceKey, type TableRef } from './requests';
import type { RequestRecord, ResourceRecord, ResourceState } from './types';

export async function getResource(table: TableRef, requestId: string, kind: string, name: string): Promise<ResourceRecord | undefined> {
  const result = await table.ddb.send(
    new GetCommand({ TableName: table.tableName, Key: resourceKey(requestId, kind, name), ConsistentRead: true }),
  );
  return result.Item as ResourceRecord | undefined;
}

/** A resource's state and whether it is in the due index, where the poller comes back to it. */
export async function getResourceStanding(
  table: TableRef,
  requestId: string,
  kind: string,
  name: string,
): Promise<{ state: ResourceState; due: boolean } | undefined> {
  const result = await table.ddb.send(
    new GetCommand({
      TableName: table.tableName,
      Key: resourceKey(requestId, kind, name),
      ConsistentRead: true,
      ProjectionExpression: '#state, duePk',
      ExpressionAttributeNames: { '#state': 'state' },
    }),
  );
  if (!result.Item) return undefined;
  return { state: result.Item.state as ResourceState, due: result.Item.duePk === DUE_PARTITION };
}

/** What completion checks and the completion event need of each resource. */
export type ResourceSummary = Pick<
  ResourceRecord,
  'requestId' | 'kind' | 'name' | 'state' | 'huaweiId' | 'reason' | 'message' | 'operation'
>;

/** What the completion check needs of the request item. */
export type RequestSummary = Pick<RequestRecord, 'requestId' | 'source' | 'phase' | 'resourceCount' | 'completedAt'>;

const RESOURCE_FIELDS = '#sk, #rid, #kind, #name, #state, #hid, #reason, #msg, #op';

const SUMMARY_NAMES = {
  '#rid': 'requestId',
  '#kind': 'kind',
  '#name': 'name',
  '#state': 'state',
  '#hid': 'huaweiId',
  '#reason': 'reason',
  '#msg': 'message',
  '#op': 'operation',
  '#sk': 'sk',
  '#source': 'source',
  '#phase': 'phase',
  '#count': 'resourceCount',
  '#completed': 'completedAt',
};

/**
 * The request and its resources without the manifests, in one paginated query. Completion is checked after
 * every terminal transition, so reading whole records made a request of N resources parse N manifests N times
 * (O(N^2) bytes: the pipeline benchmark's top CPU cost); the projection returns a few dozen bytes per item.
 */
export async function getRequestSummary(
  table: TableRef,
  requestId: string,
): Promise<{ request?: RequestSummary; resources: ResourceSummary[] }> {
  const resources: ResourceSummary[] = [];
  let request: RequestSummary | undefined;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await table.ddb.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk',
        ProjectionExpression: `${RESOURCE_FIELDS}, #source, #phase, #count, #completed`,
        ExpressionAttributeNames: SUMMARY_NAMES,
        ExpressionAttributeValues: { ':pk': requestKey(requestId).pk },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const { sk, ...item } of page.Items ?? []) {
      if (sk === 'REQ') request = item as RequestSummary;
      else if (typeof sk === 'string' && sk.startsWith('RES#')) resources.push(item as ResourceSummary);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return request ? { request, resources } : { resources };
}

export interface Update {
  set?: Record<string, unknown>;
  remove?: string[];
  add?: Record<string, number>;
  /** Extra condition, in the expression language, with its own :values. */
  condition?: string;
  values?: Record<string, unknown>;
  /** The transition applies only from these states. */
  from?: readonly ResourceState[];
}

/** Builds one guarded UpdateItem; attribute names are aliased so reserved words (state, name) are safe. */
function buildUpdate(update: Update) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ...(update.values ?? {}) };
  const alias = (field: string) => {
    const key = `#${field.replace(/[^A-Za-z0-9]/g, '_')}`;
    names[key] = field;
    return key;
  };
  const sets = Object.entries(update.set ?? {}).map(([field, value], i) => {
    values[`:s${i}`] = value;
    return `${alias(field)} = :s${i}`;
  });
  const adds = Object.entries(update.add ?? {}).map(([field, value], i) => {
    values[`:a${i}`] = value;
    return `${alias(field)} :a${i}`;
  });
  const removes = (update.remove ?? []).map(alias);
  const conditions = ['attribute_exists(pk)'];
  if (update.from) {
    names['#state'] = 'state';
    conditions.push(
      `#state IN (${update.from
        .map((s, i) => {
          values[`:f${i}`] = s;
          return `:f${i}`;
        })
        .join(', ')})`,
    );
  }
  if (update.condition) conditions.push(`(${update.condition})`);
  for (const match of (update.condition ?? '').matchAll(/#(\w+)/g)) names[`#${match[1]}`] ??= match[1]!;
  const expression = [
    sets.length ? `SET ${sets.join(', ')}` : '',
    removes.length ? `REMOVE ${removes.join(', ')}` : '',
    adds.length ? `ADD ${adds.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return {
    UpdateExpression: expression,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
  };
}

/** Applies the update if its guard holds; returns the new record, or undefined when the guard failed. */
export async function updateResource(
  table: TableRef,
  key: { requestId: string; kind: string; name: string },
  update: Update,
): Promise<ResourceRecord | undefined> {
  try {
    const result = await table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: resourceKey(key.requestId, key.kind, key.name),
        ...buildUpdate(update),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return result.Attributes as ResourceRecord;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/** Items whose work is due: a page of the sparse index, oldest first. */
export async function queryDue(
  table: TableRef,
  nowIso: string,
  startKey?: Record<string, unknown>,
  limit = 100,
  partition: string = DUE_PARTITION,
) {
  const page = await table.ddb.send(
    new QueryCommand({
      TableName: table.tableName,
      IndexName: DUE_INDEX.name,
      KeyConditionExpression: '#pk = :due AND #at <= :now',
      ExpressionAttributeNames: { '#pk': DUE_INDEX.pk, '#at': DUE_INDEX.sk },
      ExpressionAttributeValues: { ':due': partition, ':now': nowIso },
      ExclusiveStartKey: startKey,
      Limit: limit,
    }),
  );
  return {
    items: (page.Items ?? []) as (Record<string, unknown> & { pk: string; sk: string })[],
    next: page.LastEvaluatedKey,
    scanned: page.ScannedCount ?? 0,
  };
}
