/** Resource identities (project, kind, name): which request owns a resource across requests. */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Kind } from '../manifests/kinds';
import { isConditionFailure, type TableRef } from './requests';
import type { IdentityRecord } from './types';

export const identityKey = (projectId: string, kind: string, name: string) => ({ pk: `ID#${projectId}#${kind}#${name}`, sk: 'ID' });

export async function getIdentity(table: TableRef, projectId: string, kind: Kind, name: string): Promise<IdentityRecord | undefined> {
  const result = await table.ddb.send(
    new GetCommand({ TableName: table.tableName, Key: identityKey(projectId, kind, name), ConsistentRead: true }),
  );
  if (!result.Item) return undefined;
  const { pk: _pk, sk: _sk, ...rest } = result.Item;
  return rest as IdentityRecord;
}

export type Claim =
  /** takenOver: the identity was Failed (perhaps after a create whose outcome stayed unknown); look up before creating. */
  | { status: 'owned'; takenOver?: boolean }
  | { status: 'succeeded'; identity: IdentityRecord }
  | { status: 'busy'; identity: IdentityRecord };

/**
 * Takes the identity for this request unless another request holds it: free, already ours, or left
 * behind by a request whose resource failed (a new request may try again).
 */
export async function claimIdentity(
  table: TableRef,
  claim: { projectId: string; kind: Kind; name: string; requestId: string; specHash: string; now: string },
): Promise<Claim> {
  const item: IdentityRecord = {
    projectId: claim.projectId,
    kind: claim.kind,
    name: claim.name,
    ownerRequestId: claim.requestId,
    specHash: claim.specHash,
    state: 'InFlight',
    updatedAt: claim.now,
  };
  try {
    const put = await table.ddb.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { ...identityKey(claim.projectId, claim.kind, claim.name), ...item },
        ConditionExpression: 'attribute_not_exists(pk) OR (ownerRequestId = :me AND #state = :inflight) OR #state = :failed',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':me': claim.requestId, ':inflight': 'InFlight', ':failed': 'Failed' },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return put.Attributes?.state === 'Failed' ? { status: 'owned', takenOver: true } : { status: 'owned' };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
  const identity = await getIdentity(table, claim.projectId, claim.kind, claim.name);
  if (!identity) return claimIdentity(table, claim);
  if (identity.state === 'Succeeded') return { status: 'succeeded', identity };
  // Ours and already decided (a redelivery after the terminal write) counts as owned; the caller sees the resource state.
  if (identity.ownerRequestId === claim.requestId) return { status: 'owned' };
  return { status: 'busy', identity };
}
