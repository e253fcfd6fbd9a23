/**
 * Before a deployment is created: the edge node it names is RUNNING (`GET /v2/{project_id}/edgemgr/nodes/{id}`,
 * wrapped in `node`), or its node group has a RUNNING node (`GET /v2/{project_id}/edgemgr/groups/{id}`, flat).
 * An update checks them again only when the replicas grow: the placement itself cannot change in place.
 */
import type { HuaweiTarget, HuaweiTransport } from '../../huaweicloud/client';
import { urlEncode } from '../../huaweicloud/signer';
import type { AdapterResource, PreflightCheck, PreflightContext } from '../adapter';
import { type Json, num, obj, str } from '../common';
import { failed, lookUp, passed, unanswered } from '../preflight';

const replicasOf = (body: unknown) => num(obj(obj(body).deployment).replicas) ?? 0;

/** `edge-node-1 (9ebd8efb-…)`, or the id alone when IEF gave no name. */
const label = (node: Json, id: string) => (str(node.name) && node.name !== id ? `${String(node.name)} (${id})` : id);

function nodeState(node: Json, id: string): string {
  const state = str(node.state) ?? 'in no state';
  const reason = str(node.error_reason);
  return `edge node ${label(node, id)} is ${state}${reason ? `: ${reason}` : ''}`;
}

async function nodeCheck(cloud: HuaweiTransport, target: HuaweiTarget, id: string, index: number, signal?: AbortSignal) {
  const path = `spec.body.node_ids[${index}]`;
  const request = {
    operation: 'show edge node',
    service: 'ief',
    target,
    path: `/v2/${urlEncode(target.projectId)}/edgemgr/nodes/${urlEncode(id)}`,
  } as const;
  const answer = await lookUp(cloud, request, signal);
  if (answer.status !== 'ok') return unanswered('ief-node', path, answer, `edge node ${id}`);
  const node = obj(obj(answer.body).node);
  // UNCONNECTED and FAIL may pass on their own; the pods would wait for them, and the create would time out.
  return node.state === 'RUNNING' ? passed('ief-node', path, nodeState(node, id)) : failed('ief-node', path, nodeState(node, id));
}

async function groupCheck(cloud: HuaweiTransport, target: HuaweiTarget, id: string, signal?: AbortSignal) {
  const path = 'spec.body.group_id';
  const request = {
    operation: 'show edge group',
    service: 'ief',
    target,
    path: `/v2/${urlEncode(target.projectId)}/edgemgr/groups/${urlEncode(id)}`,
  } as const;
  const answer = await lookUp(cloud, request, signal);
  if (answer.status !== 'ok') return unanswered('ief-group', path, answer, `edge group ${id}`);
  const group = obj(answer.body);
  const name = label(group, id);
  const nodes = Array.isArray(group.nodes) ? group.nodes.map(obj) : [];
  const running = nodes.filter((n) => n.state === 'RUNNING');
  if (running.length > 0) return passed('ief-group', path, `edge group ${name} has ${running.length} of ${nodes.length} node(s) RUNNING`);
  if (nodes.length === 0) return failed('ief-group', path, `edge group ${name} has no node`);
  const states = nodes.map((n) => nodeState(n, str(n.id) ?? '?')).join('; ');
  return failed('ief-group', path, `edge group ${name} has no RUNNING node (${states})`);
}

export async function edgeDeploymentPreflight(
  cloud: HuaweiTransport,
  resource: AdapterResource,
  target: HuaweiTarget,
  context: PreflightContext,
): Promise<PreflightCheck[]> {
  const { body } = resource.spec;
  if (context.operation === 'update' && replicasOf(body) <= replicasOf(context.current?.body)) return [];
  const nodeIds: unknown[] = Array.isArray(body.node_ids) ? body.node_ids : [];
  const groupId = str(body.group_id);
  return Promise.all([
    ...nodeIds.flatMap((id, i) => (typeof id === 'string' && id !== '' ? [nodeCheck(cloud, target, id, i, context.signal)] : [])),
    ...(groupId ? [groupCheck(cloud, target, groupId, context.signal)] : []),
  ]);
}
