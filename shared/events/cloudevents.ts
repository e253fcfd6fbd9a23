/** Completion events as CloudEvents 1.0 (structured JSON), with deterministic ids so subscribers can drop repeats. */
import { createHash } from 'node:crypto';
import type { ApprovalRecord, ManagedSource, Operation, RejectedDocument, RequestSource } from '../store/types';

const EVENT_SOURCE = 'hwc-provisioner';

export const EVENT_TYPES = {
  resourceSucceeded: 'hwc-provisioner.resource.succeeded',
  resourceFailed: 'hwc-provisioner.resource.failed',
  resourceTimedOut: 'hwc-provisioner.resource.timed_out',
  resourceUpdated: 'hwc-provisioner.resource.updated',
  resourceDeleted: 'hwc-provisioner.resource.deleted',
  resourceOrphaned: 'hwc-provisioner.resource.orphaned',
  requestCompleted: 'hwc-provisioner.request.completed',
  requestAccepted: 'hwc-provisioner.request.accepted',
  requestRejected: 'hwc-provisioner.request.rejected',
  requestPendingApproval: 'hwc-provisioner.request.pending_approval',
  requestApproved: 'hwc-provisioner.request.approved',
  requestExpired: 'hwc-provisioner.request.expired',
  resourceDrifted: 'hwc-provisioner.resource.drifted',
  resourceMissing: 'hwc-provisioner.resource.missing',
  resourceSynced: 'hwc-provisioner.resource.synced',
  resourceUnhealthy: 'hwc-provisioner.resource.unhealthy',
  resourceHealthy: 'hwc-provisioner.resource.healthy',
} as const;
export type EventType = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];

export type Outcome =
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'partially_failed'
  | 'accepted'
  | 'rejected'
  | 'deleted'
  | 'orphaned'
  | 'pending_approval'
  | 'approved'
  | 'expired'
  | 'drifted'
  | 'missing'
  | 'synced'
  | 'unhealthy'
  | 'healthy';

export interface CloudEvent<T = Record<string, unknown>> {
  specversion: '1.0';
  id: string;
  source: string;
  type: EventType;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: T;
}

/** Carried as SNS message attributes so subscriptions can filter without parsing bodies. */
interface EventAttributes {
  type: EventType;
  kind: string;
  outcome: Outcome;
}

export interface OutgoingEvent {
  event: CloudEvent;
  attributes: EventAttributes;
}

export interface ResourceEventData {
  requestId: string;
  source: RequestSource;
  kind: string;
  name: string;
  region: string;
  projectId: string;
  huaweiId: string | null;
  state: string;
  /** What the request did to it: create, update, recreate, delete or orphan (null for Unchanged). */
  operation: Operation | null;
  /** For an update or recreate: each changed field. */
  changes?: { path: string; desired: unknown; observed: unknown; effect?: string }[];
  reason: string | null;
  message: string | null;
  timings: { acceptedAt: string; createStartedAt: string | null; finishedAt: string; durationSeconds: number };
}

/** Same resource, same request, same terminal state: same id, however often it is published. */
export function eventId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

const OUTCOME_OF_STATE: Record<string, { type: EventType; outcome: Outcome }> = {
  Succeeded: { type: EVENT_TYPES.resourceSucceeded, outcome: 'succeeded' },
  Unchanged: { type: EVENT_TYPES.resourceSucceeded, outcome: 'succeeded' },
  Failed: { type: EVENT_TYPES.resourceFailed, outcome: 'failed' },
  TimedOut: { type: EVENT_TYPES.resourceTimedOut, outcome: 'timed_out' },
  Deleted: { type: EVENT_TYPES.resourceDeleted, outcome: 'deleted' },
  Orphaned: { type: EVENT_TYPES.resourceOrphaned, outcome: 'orphaned' },
};

export function resourceEvent(data: ResourceEventData): OutgoingEvent {
  const changed = data.state === 'Succeeded' && (data.operation === 'update' || data.operation === 'recreate');
  const mapped = changed ? { type: EVENT_TYPES.resourceUpdated, outcome: 'succeeded' as const } : OUTCOME_OF_STATE[data.state];
  if (!mapped) throw new Error(`state ${data.state} is not terminal`);
  return {
    event: {
      specversion: '1.0',
      id: eventId('resource', data.requestId, data.kind, data.name, data.state),
      source: EVENT_SOURCE,
      type: mapped.type,
      subject: `${data.kind}/${data.name}`,
      time: data.timings.finishedAt,
      datacontenttype: 'application/json',
      data: data as unknown as Record<string, unknown>,
    },
    attributes: { type: mapped.type, kind: data.kind, outcome: mapped.outcome },
  };
}

/** One resource as request events list it: complete enough that a subscriber never needs the table to explain an outcome. */
interface RequestEventResource {
  kind: string;
  name: string;
  state: string;
  /** What the request does (did) to it; null when not known yet (an apply before dispatch) or for Unchanged. */
  operation?: Operation | null;
  huaweiId: string | null;
  reason: string | null;
  message: string | null;
}

export interface RequestEventData {
  requestId: string;
  source: RequestSource;
  state: string;
  resources: RequestEventResource[];
  errors?: readonly RejectedDocument[];
  /** On the approval events, and on request.rejected when an approver rejected it: who may decide, who did, why. */
  approval?: ApprovalRecord;
}

export function requestEvent(type: EventType, outcome: Outcome, time: string, data: RequestEventData): OutgoingEvent {
  return {
    event: {
      specversion: '1.0',
      id: eventId('request', data.requestId, type),
      source: EVENT_SOURCE,
      type,
      subject: `Request/${data.requestId}`,
      time,
      datacontenttype: 'application/json',
      data: data as unknown as Record<string, unknown>,
    },
    attributes: { type, kind: 'Request', outcome },
  };
}

/** What a look for drift found changed since the last one: one event per change, never one per look. */
export type DriftChange = 'drifted' | 'missing' | 'synced' | 'unhealthy' | 'healthy';

const DRIFT_TYPES: Record<DriftChange, EventType> = {
  drifted: EVENT_TYPES.resourceDrifted,
  missing: EVENT_TYPES.resourceMissing,
  synced: EVENT_TYPES.resourceSynced,
  unhealthy: EVENT_TYPES.resourceUnhealthy,
  healthy: EVENT_TYPES.resourceHealthy,
};

export interface DriftEventData {
  /** The request that last applied the resource, and where its manifest came from. */
  requestId: string;
  source: ManagedSource;
  kind: string;
  name: string;
  projectId: string;
  region: string;
  huaweiId: string;
  /** For drifted: each field where Huawei differs from the desired spec. */
  diff: { path: string; desired: unknown; observed: unknown }[];
  /** What Huawei said of it at the look (its status word and detail). */
  observed: { phase: string; reason: string | null; message: string | null } | null;
  /** What happens about it: Observe (reported) or Correct (the manifest is applied again). */
  driftPolicy: 'Observe' | 'Correct';
  observedAt: string;
}

export function driftEvent(change: DriftChange, data: DriftEventData): OutgoingEvent {
  const type = DRIFT_TYPES[change];
  return {
    event: {
      specversion: '1.0',
      id: eventId('drift', data.projectId, data.kind, data.name, change, data.observedAt),
      source: EVENT_SOURCE,
      type,
      subject: `${data.kind}/${data.name}`,
      time: data.observedAt,
      datacontenttype: 'application/json',
      data: data as unknown as Record<string, unknown>,
    },
    attributes: { type, kind: data.kind, outcome: change },
  };
}
