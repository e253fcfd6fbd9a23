/** Marks a recorded resource created, as the dispatcher and poller leave its managed resource once Huawei has it. */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ResourceSpec } from '../../shared/kinds/adapter';
import { terminalConditions } from '../../shared/reconcile/conditions';
import { specHash } from '../../shared/reconcile/verdict';
import { managedListKey } from '../../shared/store/keys';
import { managedKey } from '../../shared/store/managed';
import type { TableRef } from '../../shared/store/requests';
import type { ManagedResource, ResourceRecord } from '../../shared/store/types';

export async function markCreated(table: TableRef, resource: ResourceRecord, huaweiId: string): Promise<ManagedResource> {
  const now = new Date().toISOString();
  const spec = (resource.manifest as { spec: ResourceSpec }).spec;
  const managed: ManagedResource = {
    projectId: resource.projectId,
    kind: resource.kind,
    name: resource.name,
    region: resource.region,
    owner: resource.owner!,
    source: resource.source!,
    desired: spec,
    specHash: specHash(resource.kind, spec, resource.region),
    generation: 1,
    requestId: resource.requestId,
    state: 'Succeeded',
    huaweiId,
    conditions: terminalConditions(now, { state: 'Succeeded' }),
    requestIds: [resource.requestId],
    createdAt: now,
    updatedAt: now,
  };
  await table.ddb.send(
    new PutCommand({
      TableName: table.tableName,
      Item: {
        ...managedKey(resource.projectId, resource.kind, resource.name),
        ...managedListKey(resource.projectId, resource.kind, resource.name),
        ...managed,
      },
    }),
  );
  return managed;
}
