/** Records kept in the table: requests, their resources, and the states a resource moves through. */
import type { ManifestIssue } from '../manifests/errors';
import type { Kind } from '../manifests/kinds';

const RESOURCE_STATES = [
  'Queued',
  'WaitingForDependency',
  'CreatePending',
  'Creating',
  'Succeeded',
  'Unchanged',
  'Failed',
  'TimedOut',
] as const;
export type ResourceState = (typeof RESOURCE_STATES)[number];
export const TERMINAL_STATES: ReadonlySet<ResourceState> = new Set(['Succeeded', 'Unchanged', 'Failed', 'TimedOut']);

export type RequestState = 'Rejected' | 'InProgress' | 'Succeeded' | 'PartiallyFailed' | 'Failed';

type Provider = 'github' | 'gitlab' | 'jira' | 'api' | 'queue';

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
  /** `Recording` until every resource is written and queued; a retried intake resumes from there. */
  phase: 'Recording' | 'Accepted' | 'Rejected';
  resourceCount: number;
  rejected?: RejectedDocument[];
  /** Hash of what was submitted, to tell a retried call from a reused idempotency key. */
  contentHash?: string;
  createdAt: string;
  updatedAt: string;
  /** Set once request.completed is written to the outbox. */
  completedAt?: string;
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
  kind: Kind;
  name: string;
  projectId: string;
  region: string;
  state: ResourceState;
  /** The validated manifest, stored as submitted. */
  manifest: Record<string, unknown>;
  file: string;
  huaweiId?: string;
  reason?: string;
  message?: string;
  createdAt: string;
  updatedAt: string;
  /** Dispatch bookkeeping: how many create intents were recorded, the latest one, and whether its outcome is unknown. */
  attempt?: number;
  intentAt?: string;
  outcomeUnknown?: boolean;
  dispatchStartedAt?: string;
  /** Set when the create was accepted; the timeout counts from here. */
  createStartedAt?: string;
  deadlineAt?: string;
  polls?: number;
  /** The pool ID a poolRef resolved to. */
  resolvedPoolName?: string;
  /**
   * On a ResourcePool: the resources of the same request whose poolRef names it, known at submit. When the
   * pool ends, these are queued (or failed) without reading the request's partition.
   */
  dependents?: { kind: Kind; name: string }[];
  finishedAt?: string;
  /** Outbox: events written with the state change, removed once published. */
  pendingEvents?: unknown[];
}

/** The owner of a resource identity (project, kind, name) across requests. */
export interface IdentityRecord {
  projectId: string;
  kind: Kind;
  name: string;
  ownerRequestId: string;
  specHash: string;
  state: 'InFlight' | 'Succeeded' | 'Failed';
  huaweiId?: string;
  updatedAt: string;
}
