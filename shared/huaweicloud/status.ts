/** Classifies Huawei show responses into InProgress / Succeeded / Failed for the create-then-wait loop. */
import type { Kind } from '../manifests/kinds';

export type Phase = 'InProgress' | 'Succeeded' | 'Failed';

export interface ResourceStatus {
  phase: Phase;
  /** Huawei's own status word (e.g. CREATE_FAILED, Abnormal, ImagePullBackOff), for machines. */
  reason?: string;
  /** Human detail: fail_reason, status.message, progress counts. */
  message?: string;
}

type Json = Record<string, unknown>;

function obj(value: unknown): Json {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function status(phase: Phase, reason?: string, message?: string): ResourceStatus {
  return { phase, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

const NOTEBOOK_FAILED = new Set(['CREATE_FAILED', 'START_FAILED', 'ERROR', 'DELETE_FAILED', 'DELETED']);
/* FROZEN (e.g. account in arrears) and STOPPED cannot turn into RUNNING on their own; waiting would only time out. */
const NOTEBOOK_STUCK = new Set(['FROZEN', 'STOPPED']);
const VOLUME_BUSY = new Set(['INITIALIZING', 'RESIZING', 'DELETING']);

function notebookProgress(show: Json): string | undefined {
  const steps = Array.isArray(show['action_progress']) ? show['action_progress'].map(obj) : [];
  const current = steps.find((s) => s['status'] === 'FAILED') ?? steps.find((s) => s['status'] === 'PROCESSING') ?? undefined;
  if (!current) return undefined;
  const label = str(current['description']) ?? `step ${String(current['step'] ?? '?')}`;
  return `${label}: ${String(current['status'])}`;
}

/** Notebook `status`: RUNNING is ready, but an EVS volume still initialising means not yet usable. */
export function notebookStatus(show: unknown): ResourceStatus {
  const body = obj(show);
  const value = str(body['status']) ?? '';
  const failReason = str(body['fail_reason']);
  const progress = notebookProgress(body);
  const message = [failReason, progress].filter(Boolean).join('; ') || undefined;
  if (value === 'RUNNING') {
    const volume = obj(body['volume']);
    const volumeStatus = str(volume['status']);
    if (volume['category'] === 'EVS' && volumeStatus && VOLUME_BUSY.has(volumeStatus)) {
      return status('InProgress', value, `volume ${volumeStatus}`);
    }
    return status('Succeeded', value, message);
  }
  if (NOTEBOOK_FAILED.has(value) || NOTEBOOK_STUCK.has(value)) return status('Failed', value, message);
  // INIT, CREATING, STARTING, SNAPSHOTTING and values we have not seen: keep polling until the caller's deadline.
  return status('InProgress', value || undefined, message);
}

const POOL_FAILED = new Set(['Abnormal', 'Error', 'CreationFailed', 'ScalingFailed']);

/** Pool `status.phase`: Running is ready; Creating, Waiting (unpaid order) and empty are still pending. */
export function resourcePoolStatus(show: unknown): ResourceStatus {
  const st = obj(obj(show)['status']);
  const phase = str(st['phase']) ?? '';
  const message = str(st['message']);
  if (phase === 'Running') return status('Succeeded', phase, message);
  if (POOL_FAILED.has(phase)) return status('Failed', phase, message);
  return status('InProgress', phase || undefined, message);
}

/* The SDK types each bucket as one object, older Terraform reads arrays; accept both. */
function countOf(bucket: unknown): number {
  const items = Array.isArray(bucket) ? bucket : bucket === undefined || bucket === null ? [] : [bucket];
  return items.reduce<number>((sum, item) => sum + (num(obj(item)['count']) ?? 0), 0);
}

/** Node pools have no phase: compare node counts under status.resources with the requested count. */
export function nodePoolStatus(show: unknown): ResourceStatus {
  const body = obj(show);
  const resources = obj(obj(body['status'])['resources']);
  const creating = countOf(resources['creating']);
  const available = countOf(resources['available']);
  const abnormal = countOf(resources['abnormal']);
  const specResources = obj(body['spec'])['resources'];
  const requested = Array.isArray(specResources) ? countOf(specResources) : num(obj(specResources)['count']);
  const message = `available ${available}/${requested ?? '?'}, creating ${creating}, abnormal ${abnormal}`;
  if (requested !== undefined && available === requested && creating === 0) return status('Succeeded', 'Available', message);
  if (abnormal > 0 && creating === 0) return status('Failed', 'Abnormal', message);
  return status('InProgress', creating > 0 ? 'Creating' : undefined, message);
}

const POD_FAILED = new Set(['FAILED', 'CREATE_FAIL']);
const DEPLOYMENT_FAILED = new Set(['FREEZE', 'DELETE_FAILED']);

function podDetail(pod: Json): string {
  const containers = Array.isArray(pod['containers']) ? pod['containers'].map(obj) : [];
  const container = containers.find((c) => str(c['reason']) || str(c['message']));
  const parts = [
    `pod ${str(pod['name']) ?? str(pod['id']) ?? '?'} ${str(pod['state']) ?? ''}`.trim(),
    str(pod['message']),
    container ? [str(container['reason']), str(container['message'])].filter(Boolean).join(': ') : undefined,
  ];
  return parts.filter(Boolean).join('; ');
}

/**
 * IEF deployment: `state` stays empty while healthy, so pods carry the failure signal; readiness is
 * ready_replicas == replicas. Without pods a crash-looping app only shows as "not ready yet".
 */
export function edgeDeploymentStatus(deployment: unknown, pods: readonly unknown[] = []): ResourceStatus {
  const body = obj(deployment);
  const state = str(body['state']);
  if (state && DEPLOYMENT_FAILED.has(state)) return status('Failed', state, `deployment ${state}`);
  const failedPod = pods.map(obj).find((pod) => POD_FAILED.has(str(pod['state']) ?? ''));
  if (failedPod) {
    return status('Failed', str(failedPod['reason']) ?? str(failedPod['state']), podDetail(failedPod));
  }
  const replicas = num(body['replicas']);
  const ready = num(body['ready_replicas']) ?? 0;
  const message = `ready ${ready}/${replicas ?? '?'}`;
  // A body without `replicas` is not proof of readiness.
  if (replicas !== undefined && ready === replicas) return status('Succeeded', 'Ready', message);
  const waiting = pods.map(obj).find((pod) => str(pod['reason']) || str(pod['message']));
  return status('InProgress', state, waiting ? `${message}; ${podDetail(waiting)}` : message);
}

export function statusOf(kind: Kind, show: unknown, extra?: { pods?: readonly unknown[] }): ResourceStatus {
  switch (kind) {
    case 'Notebook':
      return notebookStatus(show);
    case 'ResourcePool':
      return resourcePoolStatus(show);
    case 'NodePool':
      return nodePoolStatus(show);
    case 'EdgeDeployment':
      return edgeDeploymentStatus(show, extra?.pods);
  }
}
