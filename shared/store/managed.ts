/**
 * Managed resources: one item per (project, kind, name), the resource over its whole life. It holds what is
 * wanted (the desired spec and its generation), where that came from and who owns it, which request holds
 * the lifecycle now, Huawei's id, the last observation and the conditions. Requests refer to it.
 */
import { BatchGetCommand, GetCommand, UpdateCommand, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import { managedKey } from './keys';
import { isConditionFailure, type TableRef } from './requests';
import type { ManagedResource, ManagedSource, ResourceConditions } from './types';

export { managedKey };

const strip = (item: Record<string, unknown>): ManagedResource => {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as unknown as ManagedResource;
};

export async function getManaged(table: TableRef, projectId: string, kind: string, name: string): Promise<ManagedResource | undefined> {
  const result = await table.ddb.send(
    new GetCommand({ TableName: table.tableName, Key: managedKey(projectId, kind, name), ConsistentRead: true }),
  );
  return result.Item ? strip(result.Item) : undefined;
}

/** Many at once (intake's ownership check): keyed `projectId/kind/name`; absent ones are left out. */
export async function getManagedMany(
  table: TableRef,
  identities: readonly { projectId: string; kind: string; name: string }[],
): Promise<Map<string, ManagedResource>> {
  const found = new Map<string, ManagedResource>();
  const unique = [...new Map(identities.map((i) => [`${i.projectId}/${i.kind}/${i.name}`, i])).values()];
  for (let start = 0; start < unique.length; start += 100) {
    let keys: Record<string, unknown>[] | undefined = unique.slice(start, start + 100).map((i) => managedKey(i.projectId, i.kind, i.name));
    for (let attempt = 0; keys && keys.length > 0; attempt++) {
      if (attempt > 5) throw new Error('DynamoDB kept returning unprocessed keys');
      const result: BatchGetCommandOutput = await table.ddb.send(
        new BatchGetCommand({ RequestItems: { [table.tableName]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of result.Responses?.[table.tableName] ?? []) {
        const managed = strip(item);
        found.set(`${managed.projectId}/${managed.kind}/${managed.name}`, managed);
      }
      keys = result.UnprocessedKeys?.[table.tableName]?.Keys;
    }
  }
  return found;
}

export interface ManagedClaim {
  projectId: string;
  kind: string;
  name: string;
  region: string;
  requestId: string;
  owner: string;
  source: ManagedSource;
  desired: Record<string, unknown>;
  specHash: string;
  conditions: ResourceConditions;
  now: string;
}

export type Claim =
  /** takenOver: the resource was Failed (perhaps after a create whose outcome stayed unknown); look up before creating. */
  { status: 'owned'; generation: number; takenOver?: boolean } | { status: 'existing'; managed: ManagedResource };

/**
 * Takes the lifecycle of a resource for this request: when it is new, or when an earlier request of the
 * same owner left it Failed (a new request may try again). Anything else (held by another request, already
 * created, owned by another namespace, or this request's own claim redelivered) is returned for the caller
 * to judge. A new claim raises the generation and records the request.
 */
export async function claimManaged(table: TableRef, claim: ManagedClaim): Promise<Claim> {
  try {
    const result = await table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: managedKey(claim.projectId, claim.kind, claim.name),
        UpdateExpression:
          'SET projectId = :project, kind = :kind, #name = :name, #region = :region, #owner = if_not_exists(#owner, :owner), ' +
          '#source = :source, desired = :desired, specHash = :hash, requestId = :me, #state = :inflight, conditions = :conditions, ' +
          'createdAt = if_not_exists(createdAt, :now), updatedAt = :now, generation = if_not_exists(generation, :zero) + :one, ' +
          'requestIds = list_append(if_not_exists(requestIds, :none), :mine)',
        ConditionExpression: 'attribute_not_exists(pk) OR (#state = :failed AND #owner = :owner)',
        ExpressionAttributeNames: { '#name': 'name', '#region': 'region', '#owner': 'owner', '#source': 'source', '#state': 'state' },
        ExpressionAttributeValues: {
          ':project': claim.projectId,
          ':kind': claim.kind,
          ':name': claim.name,
          ':region': claim.region,
          ':owner': claim.owner,
          ':source': claim.source,
          ':desired': claim.desired,
          ':hash': claim.specHash,
          ':me': claim.requestId,
          ':inflight': 'InFlight',
          ':failed': 'Failed',
          ':conditions': claim.conditions,
          ':now': claim.now,
          ':zero': 0,
          ':one': 1,
          ':none': [],
          ':mine': [claim.requestId],
        },
        ReturnValues: 'ALL_OLD',
      }),
    );
    const old = result.Attributes;
    const generation = (typeof old?.generation === 'number' ? old.generation : 0) + 1;
    return old?.state === 'Failed' ? { status: 'owned', generation, takenOver: true } : { status: 'owned', generation };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
  const managed = await getManaged(table, claim.projectId, claim.kind, claim.name);
  // Removed between the two calls (tests reset tables): claim again.
  if (!managed) return claimManaged(table, claim);
  return { status: 'existing', managed };
}

export interface Settlement {
  projectId: string;
  kind: string;
  name: string;
  requestId: string;
  state: 'Succeeded' | 'Failed';
  huaweiId?: string;
  conditions: ResourceConditions;
  observation?: ManagedResource['observation'];
  now: string;
}

/**
 * Records how the request holding the lifecycle ended: Succeeded (with the Huawei id) lets later requests
 * report Unchanged and dependents resolve through it; Failed frees it for the owner's next request.
 * Idempotent, and a no-op unless this request holds it in flight.
 */
export async function settleManaged(table: TableRef, settlement: Settlement): Promise<boolean> {
  const { huaweiId, observation } = settlement;
  try {
    await table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: managedKey(settlement.projectId, settlement.kind, settlement.name),
        UpdateExpression:
          `SET #state = :state, conditions = :conditions, updatedAt = :now` +
          `${huaweiId ? ', huaweiId = :id' : ''}${observation ? ', observation = :observation' : ''}`,
        ConditionExpression: 'requestId = :me AND #state = :inflight',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':state': settlement.state,
          ':conditions': settlement.conditions,
          ':now': settlement.now,
          ':me': settlement.requestId,
          ':inflight': 'InFlight',
          ...(huaweiId ? { ':id': huaweiId } : {}),
          ...(observation ? { ':observation': observation } : {}),
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
