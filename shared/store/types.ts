/** Records kept in the table: requests, their resources, and the states a resource moves through. */
import type { ManifestIssue } from '../manifests/errors';

export const RESOURCE_STATES = [
  'PendingApproval',
  'Queued',
  'WaitingForDependency',
  'CreatePending',
  'Creating',
  'Updating',
  'Deleting',
  'Succeeded',
  'Unchanged',
  'Failed',
  'TimedOut',
  'Deleted',
  'Orphaned',
  'Cancelled',
] as const;
export type ResourceState = (typeof RESOURCE_STATES)[number];
export const TERMINAL_STATES: ReadonlySet<ResourceState> = new Set([
  'Succeeded',
  'Unchanged',
  'Failed',
  'TimedOut',
  'Deleted',
  'Orphaned',
  // Never started: its request was rejected by an approver or its approval expired.
  'Cancelled',
]);
/** The states in which the poller, not the dispatcher, moves a resource on. */
export const OBSERVED_STATES: ReadonlySet<ResourceState> = new Set(['Creating', 'Updating', 'Deleting']);
/** The dispatcher's states: a resource due in one of them (a lost message, an attempt that died) is queued again by the poller. */
export const REQUEUED_STATES: ReadonlySet<ResourceState> = new Set(['Queued', 'WaitingForDependency', 'CreatePending']);

/**
 * What a request does to a resource. A manifest asks to apply it: the dispatcher decides create, update or
 * recreate (update by replacement) against the managed resource; a removal asks to delete it, or to orphan it
 * (stop managing it and leave it running).
 */
export type Operation = 'create' | 'update' | 'recreate' | 'delete' | 'orphan';

export const REQUEST_STATES = ['Rejected', 'PendingApproval', 'Expired', 'InProgress', 'Succeeded', 'PartiallyFailed', 'Failed'] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

export const PROVIDERS = ['github', 'gitlab', 'jira', 'api', 'queue'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** Where a request came from, so people can find it and feedback can go back there. */
export interface RequestSource {
  provider: Provider;
  /** Human reference: `owner/repo@sha`, a ticket key, `api:<caller>` or `queue:<system>`. */
  ref: string;
  deliveryId?: string;
  repository?: string;
  commit?: string;
  branch?: string;
  ticket?: string;
  caller?: string;
  url?: string;
  /**
   * Who asked, as `provider:user` (github:octocat, gitlab:jdoe, jira:<accountId>, api:<caller>): the one
   * identity that may not approve the request.
   */
  user?: string;
}

/** How an approval decision reached us. */
export type ApprovalChannel = 'api' | 'jira' | 'git' | 'timeout';

/** The approval a request needs, and what became of it; kept on the request as its audit trail. */
export interface ApprovalRecord {
  state: 'Pending' | 'Approved' | 'Rejected' | 'Expired';
  /** The policy rules that asked for it and why, one line per resource they matched. */
  rules: string[];
  reasons: string[];
  /** Identities allowed to approve (`provider:user`); empty: any holder of the approve role. */
  approvers: string[];
  /** The requester (source.user), who may not approve. */
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  /** Every step, oldest first: requested, then approved, rejected or expired, with who, when and how. */
  history: {
    action: 'requested' | 'approved' | 'rejected' | 'expired';
    by: string;
    at: string;
    channel?: ApprovalChannel;
    comment?: string;
  }[];
}

/** A document that was rejected, as reported to the caller. */
export interface RejectedDocument {
  file: string;
  index: number;
  kind?: string;
  name?: string;
  errors: ManifestIssue[];
}

export interface RequestRecord {
  requestId: string;
  source: RequestSource;
  /**
   * `Recording` until every resource is written and queued; a retried intake resumes from there.
   * `PendingApproval` holds every resource until an approver decides: then `Accepted`, `Rejected`, or
   * `Expired` when nobody did in time (shared/reconcile/approval.ts).
   */
  phase: 'Recording' | 'PendingApproval' | 'Accepted' | 'Rejected' | 'Expired';
  /** Set when a policy rule asked for approval: who may give it, and the audit trail of what happened. */
  approval?: ApprovalRecord;
  resourceCount: number;
  rejected?: RejectedDocument[];
  /** Hash of what was submitted, to tell a retried call from a reused idempotency key. */
  contentHash?: string;
  createdAt: string;
  updatedAt: string;
  /** Set once request.completed is written to the outbox. */
  completedAt?: string;
  /** The request's ending (Succeeded, PartiallyFailed, Failed), written with completedAt. */
  outcome?: RequestState;
  /**
   * How many resources reached a terminal state, counted by the transition that won each one (never more
   * than the truth; a finisher that died before counting leaves it short). Only a hint: completion is
   * checked against the resources themselves once it reaches resourceCount. Starts at 0 when recorded.
   */
  finishedCount?: number;
  pendingEvents?: unknown[];
}

export interface ResourceRecord {
  requestId: string;
  kind: string;
  name: string;
  projectId: string;
  region: string;
  state: ResourceState;
  /** The namespace the request speaks for (see shared/reconcile/owner.ts), and what the managed resource keeps of its source. */
  owner?: string;
  source?: ManagedSource;
  /** The validated manifest, stored as submitted. */
  manifest: Record<string, unknown>;
  file: string;
  huaweiId?: string;
  reason?: string;
  message?: string;
  createdAt: string;
  updatedAt: string;
  /**
   * Set on a request a look for drift made (driftPolicy: Correct): apply the manifest again although it did not
   * change (drift: through the update path) or create it anew (missing: deleted outside hwc-provisioner).
   */
  correction?: 'drift' | 'missing';
  /** While PendingApproval: the state it takes once approved (Queued, or WaitingForDependency on a pool of the request). */
  heldState?: 'Queued' | 'WaitingForDependency';
  /** Dispatch bookkeeping: how many create intents were recorded, the latest one, and whether its outcome is unknown. */
  attempt?: number;
  intentAt?: string;
  outcomeUnknown?: boolean;
  dispatchStartedAt?: string;
  /** Set when the create was accepted; the timeout counts from here. */
  createStartedAt?: string;
  deadlineAt?: string;
  polls?: number;
  /** The Huawei id the resource's reference (a node pool's poolRef) resolved to. */
  resolvedPoolName?: string;
  /** The managed resource's generation this request's claim gave it (set at claim). */
  generation?: number;
  /** The spec's hash as intake computed it (shared/reconcile/verdict.ts), for the ownership check written with it. */
  specHash?: string;
  /** Set at intake for a removal (delete, orphan); for a manifest, by the dispatcher once it knows. */
  operation?: Operation;
  /** For an update or recreate: what changes, field by field, as plans and events show it. */
  changes?: { path: string; desired: unknown; observed: unknown; effect?: string }[];
  /** Whether the delete call was answered (a delete whose answer was lost is sent again after a look). */
  deleteSent?: boolean;
  /** For a recreate: when the old resource was confirmed gone (the create of its replacement follows). */
  removedAt?: string;
  /** Huawei's refusals of an update or delete step in a row (one can follow a lost answer; three are the verdict). */
  refusals?: number;
  /**
   * On a ResourcePool: the resources of the same request whose poolRef names it, known at submit. When the
   * pool ends, these are queued (or failed) without reading the request's partition.
   */
  dependents?: { kind: string; name: string }[];
  finishedAt?: string;
  /** What Huawei last said of it, when its ending came from an observation. */
  observation?: { phase: string; reason?: string; message?: string };
  /** Outbox: events written with the state change, removed once published. */
  pendingEvents?: unknown[];
}

/** Where a managed resource's desired spec came from: the request's source, narrowed to the file. */
export interface ManagedSource {
  provider: Provider;
  ref: string;
  repository?: string;
  file?: string;
  commit?: string;
  branch?: string;
  ticket?: string;
  caller?: string;
}

/** A Kubernetes-style condition: Ready, Synced and Healthy are kept apart (a resource can be ready and out of sync). */
export interface Condition {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message?: string;
  lastTransitionTime: string;
}

export interface ResourceConditions {
  Ready: Condition;
  Synced: Condition;
  Healthy: Condition;
}

/** One managed resource, (project, kind, name), over its whole life; see shared/store/managed.ts. */
export interface ManagedResource {
  projectId: string;
  kind: string;
  name: string;
  region: string;
  /** The namespace that first created it (github:org/repo, gitlab:group/project, jira:KEY, api:caller, queue:system, group:team). */
  owner: string;
  source: ManagedSource;
  /** The manifest's spec as last accepted, and its hash (body and targeting, canonical JSON). */
  desired: Record<string, unknown>;
  specHash: string;
  /** The desired spec before the change in flight (update, recreate), for its field-by-field account. */
  previousDesired?: Record<string, unknown>;
  /** Raised by every request that takes the lifecycle on. */
  generation: number;
  /** The request holding the lifecycle (InFlight), or the last one that did. */
  requestId: string;
  /** Deleted and Orphaned: no longer managed; a later create (by any namespace) starts a new life. */
  state: 'InFlight' | 'Succeeded' | 'Failed' | 'Deleted' | 'Orphaned';
  /** What the request holding it (or the last one) does: create, update, recreate, delete or orphan. */
  operation?: Operation;
  huaweiId?: string;
  /** Managed resources created in this one (node pools and notebooks in a pool), as `kind/name`: a delete waits for them. */
  dependents?: Set<string>;
  observation?: { at: string; phase: string; reason?: string; message?: string };
  /** From the last look for drift: each field where what Huawei holds differs from the desired spec. */
  drift?: { path: string; desired: unknown; observed: unknown }[];
  conditions: ResourceConditions;
  /** The requests that took the lifecycle on, oldest first. */
  requestIds: string[];
  createdAt: string;
  updatedAt: string;
}
