/**
 * Managed resources: one item per (project, kind, name), the resource over its whole life. It holds what is
 * wanted (the desired spec and its generation), where that came from and who owns it, which request holds
 * the lifecycle now, Huawei's id, the last observation and the conditions. Requests refer to it.
 */
import { BatchGetCommand, GetCommand, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import { runLimited } from '../concurrency';
import { DRIFT_PARTITION } from './due';
import { managedKey, managedListKey } from './keys';
import { queryDue } from './resources';
import { updateIfStill, updateReturningOld, type TableRef } from './requests';
import type { ManagedResource, ManagedSource, ResourceConditions } from './types';

export { managedKey };

const strip = (item: Record<string, unknown>): ManagedResource => {
  const { pk: _pk, sk: _sk, listPk: _lp, listSk: _ls, ...rest } = item;
  return rest as unknown as ManagedResource;
};

export async function getManaged(table: TableRef, projectId: string, kind: string, name: string): Promise<ManagedResource | undefined> {
  const result = await table.ddb.send(
    new GetCommand({ TableName: table.tableName, Key: managedKey(projectId, kind, name), ConsistentRead: true }),
  );
  return result.Item ? strip(result.Item) : undefined;
}

/** Many at once (intake's ownership check): keyed `projectId/kind/name`; absent ones are left out. */
/** What people are shown of a managed resource beside a request: its identity, conditions, drift and last look. */
const CONDITION_FIELDS = ['projectId', 'kind', 'name', 'conditions', 'drift', 'observation'] as const;
const CONDITION_NAMES = Object.fromEntries(CONDITION_FIELDS.map((field, i) => [`#c${i}`, field]));

export type ManagedConditions = Pick<ManagedResource, (typeof CONDITION_FIELDS)[number]>;

/** getManagedMany without the desired specs: for views that show conditions and drift only. */
export async function getManagedConditions(
  table: TableRef,
  identities: readonly { projectId: string; kind: string; name: string }[],
): Promise<Map<string, ManagedConditions>> {
  return getManagedMany(table, identities, {
    ProjectionExpression: Object.keys(CONDITION_NAMES).join(', '),
    ExpressionAttributeNames: CONDITION_NAMES,
  });
}

export async function getManagedMany(
  table: TableRef,
  identities: readonly { projectId: string; kind: string; name: string }[],
  projection?: { ProjectionExpression: string; ExpressionAttributeNames: Record<string, string> },
): Promise<Map<string, ManagedResource>> {
  const found = new Map<string, ManagedResource>();
  const unique = [...new Map(identities.map((i) => [`${i.projectId}/${i.kind}/${i.name}`, i])).values()];
  const chunks: (typeof unique)[] = [];
  for (let start = 0; start < unique.length; start += 100) chunks.push(unique.slice(start, start + 100));
  // The chunks of a large request are read side by side: a 200-resource page waits for one round trip, not two.
  await runLimited(chunks, 4, async (chunk) => {
    let keys: Record<string, unknown>[] | undefined = chunk.map((i) => managedKey(i.projectId, i.kind, i.name));
    for (let attempt = 0; keys && keys.length > 0; attempt++) {
      if (attempt > 5) throw new Error('DynamoDB kept returning unprocessed keys');
      const result: BatchGetCommandOutput = await table.ddb.send(
        new BatchGetCommand({ RequestItems: { [table.tableName]: { Keys: keys, ConsistentRead: true, ...projection } } }),
      );
      for (const item of result.Responses?.[table.tableName] ?? []) {
        const managed = strip(item);
        found.set(`${managed.projectId}/${managed.kind}/${managed.name}`, managed);
      }
      keys = result.UnprocessedKeys?.[table.tableName]?.Keys;
    }
  });
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
  /**
   * takenOver: the resource was Failed (perhaps after a create whose outcome stayed unknown) or Orphaned (it may
   * still run): look up before creating. `previous` is the managed resource as it was before this claim.
   */
  | { status: 'owned'; generation: number; takenOver?: boolean; previous?: ManagedResource }
  | { status: 'existing'; managed: ManagedResource };

/**
 * Takes the lifecycle of a resource for this request: when it is new, or when an earlier request of the
 * same owner left it Failed (a new request may try again). Anything else (held by another request, already
 * created, owned by another namespace, or this request's own claim redelivered) is returned for the caller
 * to judge. A new claim raises the generation and records the request.
 */
function listValues(claim: Pick<ManagedClaim, 'projectId' | 'kind' | 'name'>) {
  const { listPk, listSk } = managedListKey(claim.projectId, claim.kind, claim.name);
  return { ':listPk': listPk, ':listSk': listSk };
}

export async function claimManaged(table: TableRef, claim: ManagedClaim): Promise<Claim> {
  const claimed = await updateReturningOld(table, managedKey(claim.projectId, claim.kind, claim.name), {
    UpdateExpression:
      'SET previousDesired = if_not_exists(desired, :nothing), projectId = :project, kind = :kind, #name = :name, ' +
      '#region = :region, #owner = :owner, #operation = :create, ' +
      '#source = :source, desired = :desired, specHash = :hash, requestId = :me, #state = :inflight, conditions = :conditions, ' +
      'createdAt = if_not_exists(createdAt, :now), updatedAt = :now, generation = if_not_exists(generation, :zero) + :one, ' +
      'requestIds = list_append(if_not_exists(requestIds, :none), :mine), listPk = :listPk, listSk = :listSk',
    // Deleted and Orphaned resources are no longer anyone's: a new life may start, for any namespace.
    ConditionExpression: 'attribute_not_exists(pk) OR #state IN (:deleted, :orphaned) OR (#state = :failed AND #owner = :owner)',
    ExpressionAttributeNames: {
      '#name': 'name',
      '#region': 'region',
      '#owner': 'owner',
      '#source': 'source',
      '#state': 'state',
      '#operation': 'operation',
    },
    ExpressionAttributeValues: {
      ':deleted': 'Deleted',
      ':orphaned': 'Orphaned',
      ':create': 'create',
      ':nothing': {},
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
      ...listValues(claim),
    },
  });
  if (claimed) {
    const { old } = claimed;
    const generation = (typeof old?.generation === 'number' ? old.generation : 0) + 1;
    const previous = old ? strip(old) : undefined;
    const takenOver = old?.state === 'Failed' || old?.state === 'Orphaned';
    return { status: 'owned', generation, ...(takenOver ? { takenOver } : {}), ...(previous ? { previous } : {}) };
  }
  const managed = await getManaged(table, claim.projectId, claim.kind, claim.name);
  // Removed between the two calls (tests reset tables): claim again.
  if (!managed) return claimManaged(table, claim);
  return { status: 'existing', managed };
}

/**
 * Takes a Succeeded resource's lifecycle for a change of its desired spec (update or recreate), if it is still
 * as the caller read it: the same owner, and the same request last held it. Undefined when it moved meanwhile.
 */
export async function claimChange(
  table: TableRef,
  claim: ManagedClaim & { operation: 'update' | 'recreate'; expectRequestId: string },
): Promise<{ generation: number; previous: ManagedResource } | undefined> {
  const claimed = await updateReturningOld(table, managedKey(claim.projectId, claim.kind, claim.name), {
    UpdateExpression:
      'SET previousDesired = desired, #source = :source, desired = :desired, specHash = :hash, requestId = :me, ' +
      '#state = :inflight, #operation = :op, ' +
      'conditions = :conditions, updatedAt = :now, generation = generation + :one, requestIds = list_append(requestIds, :mine)',
    ConditionExpression: '#state = :succeeded AND #owner = :owner AND requestId = :previous',
    ExpressionAttributeNames: { '#owner': 'owner', '#source': 'source', '#state': 'state', '#operation': 'operation' },
    ExpressionAttributeValues: {
      ':source': claim.source,
      ':desired': claim.desired,
      ':hash': claim.specHash,
      ':me': claim.requestId,
      ':inflight': 'InFlight',
      ':op': claim.operation,
      ':conditions': claim.conditions,
      ':now': claim.now,
      ':one': 1,
      ':mine': [claim.requestId],
      ':succeeded': 'Succeeded',
      ':owner': claim.owner,
      ':previous': claim.expectRequestId,
    },
  });
  if (!claimed) return undefined;
  const previous = strip(claimed.old ?? {});
  return { generation: previous.generation + 1, previous };
}

export type RemovalClaim =
  | { status: 'owned'; previous: ManagedResource }
  /** Nothing to remove: never managed, or already deleted or orphaned. */
  | { status: 'absent'; managed?: ManagedResource }
  | { status: 'existing'; managed: ManagedResource };

/**
 * Takes a resource's lifecycle to delete or orphan it: only its owner may, and only while no other request
 * holds it (a create or change in flight finishes first). A redelivery of this request's own claim is `existing`.
 */
export async function claimRemoval(
  table: TableRef,
  claim: { projectId: string; kind: string; name: string; requestId: string; owner: string; operation: 'delete' | 'orphan'; now: string },
): Promise<RemovalClaim> {
  const claimed = await updateReturningOld(table, managedKey(claim.projectId, claim.kind, claim.name), {
    UpdateExpression:
      'SET requestId = :me, #state = :inflight, #operation = :op, updatedAt = :now, requestIds = list_append(requestIds, :mine)',
    ConditionExpression: '#owner = :owner AND #state IN (:succeeded, :failed)',
    ExpressionAttributeNames: { '#owner': 'owner', '#state': 'state', '#operation': 'operation' },
    ExpressionAttributeValues: {
      ':me': claim.requestId,
      ':inflight': 'InFlight',
      ':op': claim.operation,
      ':now': claim.now,
      ':mine': [claim.requestId],
      ':owner': claim.owner,
      ':succeeded': 'Succeeded',
      ':failed': 'Failed',
    },
  });
  if (claimed) return { status: 'owned', previous: strip(claimed.old ?? {}) };
  const managed = await getManaged(table, claim.projectId, claim.kind, claim.name);
  if (!managed || managed.state === 'Deleted' || managed.state === 'Orphaned') return { status: 'absent', ...(managed ? { managed } : {}) };
  return { status: 'existing', managed };
}

/**
 * Keeps a referenced resource's list of what was created in it (a pool's node pools and notebooks), so a
 * delete of the pool can wait for them or refuse, naming them. A set: repeating either call changes nothing.
 */
export async function linkDependent(
  table: TableRef,
  referenced: { projectId: string; kind: string; name: string },
  dependent: string,
  linked: boolean,
): Promise<void> {
  // A referenced resource that is not managed (a pool named by id) has no list to keep.
  await updateIfStill(table, managedKey(referenced.projectId, referenced.kind, referenced.name), {
    UpdateExpression: linked ? 'ADD dependents :member' : 'DELETE dependents :member',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':member': new Set([dependent]) },
  });
}

export interface Settlement {
  projectId: string;
  kind: string;
  name: string;
  requestId: string;
  state: 'Succeeded' | 'Failed' | 'Deleted' | 'Orphaned';
  huaweiId?: string;
  conditions: ResourceConditions;
  observation?: ManagedResource['observation'];
  now: string;
  /** For Succeeded: when it is next looked at for drift. */
  driftDueAt?: string;
}

/**
 * Records how the request holding the lifecycle ended: Succeeded (with the Huawei id) lets later requests
 * report Unchanged and dependents resolve through it; Failed frees it for the owner's next request.
 * Idempotent, and a no-op unless this request holds it in flight.
 */
export async function settleManaged(table: TableRef, settlement: Settlement): Promise<boolean> {
  const { huaweiId, observation, driftDueAt } = settlement;
  // A ready resource joins the drift partition, keeping the drift its last look saw (the next look says whether
  // this request brought it back in sync); anything else leaves it, and its drift is history.
  const drift = driftDueAt ? ', duePk = :drift, dueAt = :driftAt' : ' REMOVE drift, duePk, dueAt';
  return updateIfStill(table, managedKey(settlement.projectId, settlement.kind, settlement.name), {
    UpdateExpression:
      `SET #state = :state, conditions = :conditions, updatedAt = :now` +
      `${huaweiId ? ', huaweiId = :id' : ''}${observation ? ', observation = :observation' : ''}${drift}`,
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
      ...(driftDueAt ? { ':drift': DRIFT_PARTITION, ':driftAt': driftDueAt } : {}),
    },
  });
}

/** Ready managed resources whose look for drift is due, a page at a time (the drift partition of the due index). */
export async function queryDriftDue(table: TableRef, nowIso: string, startKey?: Record<string, unknown>) {
  const page = await queryDue(table, nowIso, startKey, 100, DRIFT_PARTITION);
  return { items: page.items.map((item) => strip(item)), next: page.next };
}

export interface DriftLook {
  /** What the look was made against: nothing may have taken the lifecycle on since. */
  requestId: string;
  generation: number;
  observation: NonNullable<ManagedResource['observation']>;
  conditions: ResourceConditions;
  /** The fields where Huawei differs from the desired spec; empty when in sync. */
  drift: NonNullable<ManagedResource['drift']>;
  nextDueAt: string;
  /** Announced once per change, with the look that saw it. */
  events: readonly unknown[];
}

/**
 * Records one look for drift, with its events in the item's outbox, unless the resource changed hands since it
 * was read (a request took it on, a newer generation): then the look is stale and nothing is written.
 */
export async function recordDriftLook(table: TableRef, managed: Pick<ManagedResource, 'projectId' | 'kind' | 'name'>, look: DriftLook) {
  const events = look.events.length > 0;
  return updateIfStill(table, managedKey(managed.projectId, managed.kind, managed.name), {
    UpdateExpression:
      'SET observation = :observation, conditions = :conditions, drift = :drift, dueAt = :next, updatedAt = :now' +
      (events ? ', pendingEvents = list_append(if_not_exists(pendingEvents, :none), :events)' : ''),
    ConditionExpression: 'requestId = :me AND generation = :generation AND #state = :succeeded AND duePk = :partition',
    ExpressionAttributeNames: { '#state': 'state' },
    ExpressionAttributeValues: {
      ':observation': look.observation,
      ':conditions': look.conditions,
      ':drift': look.drift,
      ':next': look.nextDueAt,
      ':now': look.observation.at,
      ':me': look.requestId,
      ':generation': look.generation,
      ':succeeded': 'Succeeded',
      ':partition': DRIFT_PARTITION,
      ...(events ? { ':none': [], ':events': look.events } : {}),
    },
  });
}

/** A drift-due item that is not (or no longer) a ready resource leaves the drift partition. */
export async function leaveDrift(table: TableRef, managed: Pick<ManagedResource, 'projectId' | 'kind' | 'name'>): Promise<void> {
  await updateIfStill(table, managedKey(managed.projectId, managed.kind, managed.name), {
    UpdateExpression: 'REMOVE duePk, dueAt',
    ConditionExpression: 'duePk = :partition AND #state <> :succeeded AND attribute_not_exists(pendingEvents)',
    ExpressionAttributeNames: { '#state': 'state' },
    ExpressionAttributeValues: { ':partition': DRIFT_PARTITION, ':succeeded': 'Succeeded' },
  });
}
