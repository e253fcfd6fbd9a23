/** IEF response bodies (deployment and its pods) rendered from a stored resource at a given instant. */
import { arr, int, obj, str, type JsonObject } from '../json';
import { isDeleting, podProgress } from '../progress';
import type { SimResource } from '../state';

function deploymentSection(r: SimResource): JsonObject {
  return obj(r.body.deployment) ?? {};
}

function template(r: SimResource): JsonObject {
  const t = obj(deploymentSection(r).template) ?? {};
  const withContainerDefaults = (list: unknown) =>
    (arr(list) ?? []).map((c) => ({ privileged: false, version: '', npu_type: '', ...obj(c) }));
  return {
    ...t,
    configs: { host_network: false, host_pid: false, migration: false, restart_policy: 'Always', ...(obj(t.configs) ?? {}) },
    init_containers: withContainerDefaults(t.init_containers),
    containers: withContainerDefaults(t.containers),
  };
}

export function renderDeployment(r: SimResource, now: number): JsonObject {
  const b = r.body;
  const pods = podProgress(r, now);
  const created = new Date(r.createdAt).toISOString();
  return {
    id: r.id,
    name: r.name,
    replicas: int(deploymentSection(r).replicas) ?? 0,
    ready_replicas: pods.filter((p) => p.state === 'RUNNING').length,
    description: str(b.description) ?? '',
    group_id: str(b.group_id) ?? '',
    node_ids: arr(b.node_ids) ?? [],
    tags: arr(b.tags) ?? [],
    api_version: 'v3',
    source: str(b.source) ?? '',
    project_id: r.projectId,
    created_at: created,
    updated_at: new Date(r.deletedAt ?? r.operations?.at(-1)?.at ?? r.createdAt).toISOString(),
    template: template(r),
    // `state` is reserved for FREEZE / PENDING_DELETE / DELETE_FAILED and stays empty while healthy.
    state: isDeleting(r, now) ? 'PENDING_DELETE' : '',
    source_id: '',
    annotations: obj(deploymentSection(r).annotations) ?? {},
  };
}

function containerState(podState: string): { state: string; ready: boolean; restarts: number } {
  switch (podState) {
    case 'RUNNING':
      return { state: 'Running', ready: true, restarts: 0 };
    case 'FAILED':
      return { state: 'Terminated', ready: false, restarts: 3 };
    case 'TERMINATING':
      return { state: 'Terminated', ready: false, restarts: 0 };
    default:
      return { state: 'Waiting', ready: false, restarts: 0 };
  }
}

export function renderPods(r: SimResource, now: number): JsonObject[] {
  const containers = arr(obj(obj(r.body.deployment)?.template)?.containers) ?? [];
  const nodeIds = arr(r.body.node_ids) ?? [];
  return podProgress(r, now).map((p, i) => {
    const pod = r.pods![i]!;
    const c = containerState(p.state);
    return {
      id: pod.id,
      name: pod.name,
      node_id: str(nodeIds[0]) ?? '',
      group_id: str(r.body.group_id) ?? '',
      deployment_id: r.id,
      project_id: r.projectId,
      state: p.state,
      reason: p.reason,
      message: p.message,
      created_at: new Date(r.createdAt).toISOString(),
      containers: containers.map((def, j) => ({
        name: str(obj(def)?.name) ?? `container-${j}`,
        image_url: str(obj(def)?.image_url) ?? '',
        state: c.state,
        reason: p.reason,
        message: p.message,
        restarts: c.restarts,
        is_ready: String(c.ready),
        container_id: pod.containerIds[j] ?? '',
      })),
    };
  });
}
