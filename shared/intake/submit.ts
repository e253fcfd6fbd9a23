/** Turns manifest sources into a recorded request: validate all, then record and queue every resource, or reject the whole. */
import { enqueueDispatch, type QueueRef } from '../queue/messages';
import { EVENT_TYPES, requestEvent, type OutgoingEvent } from '../events/cloudevents';
import { flushOutbox, OUTBOX_RETRY_SECONDS } from '../events/outbox';
import type { TopicRef } from '../events/publish';
import { adapterOf } from '../kinds/registry';
import { managedSource, ownerOf, refuseAtIntake, type OwnerGroups } from '../reconcile/owner';
import { specHash } from '../reconcile/verdict';
import type { PruneSettings, Removal } from './removal';
import { boundRejected } from '../manifests/errors';
import {
  planSubmission,
  rejectedDocuments,
  type PlacementDefaults,
  type Planned,
  type PlannedSubmission,
  type SourceFile,
} from '../manifests/submission';
import { deliveryItem, putDelivery, type DeliveryRecord } from '../store/deliveries';
import { DUE_PARTITION, dueAt } from '../store/due';
import { executionConfig } from '../config';
import {
  getRequest,
  markAccepted,
  markAcceptedWithEvent,
  putAcceptedRequestOnce,
  putRequestOnce,
  putResourcesOnce,
  QUEUED_GRACE_SECONDS,
  requestKey,
  type TableRef,
} from '../store/requests';
import type {
  ApprovalChannel,
  ApprovalRecord,
  RejectedDocument,
  RequestRecord,
  RequestSource,
  ResourceRecord,
  ResourceState,
} from '../store/types';
import type { Policy } from '../policy/document';
import { decisionEvent } from '../reconcile/approval';
import { admit, withRefusals, type AdmissionDeps, type ApprovalNeed } from './admission';

export type { SourceFile };

export interface Submission {
  requestId: string;
  source: RequestSource;
  files: SourceFile[];
  /** When set, a stored request with a different hash is a conflict, not a retry. */
  contentHash?: string;
  /** A JSON array body is a list of manifests. */
  sequenceAsDocuments?: boolean;
  /** The provider delivery that brought it: recorded with the outcome, so a redelivery is answered without a second read. */
  delivery?: { provider: string; deliveryId: string };
  /** Managed resources the request deletes or orphans (files a push removed; DELETE /resources). */
  removals?: readonly Removal[];
  /**
   * When a policy rule asks for approval: whether the source itself gives it (a push to a tracked branch is a
   * merge, approved by its reviews), asked only then. Undefined: the request waits for an approver.
   */
  sourceApproval?: () => Promise<{ by: string; comment: string } | undefined>;
  /** A look for drift's correction: applied although the manifest did not change (shared/intake/correction.ts). */
  correction?: ResourceRecord['correction'];
}

export interface IntakeDeps {
  table: TableRef;
  dispatch: QueueRef;
  defaults: PlacementDefaults;
  now?: () => Date;
  /** How long a queued resource waits for its dispatch message before the poller re-queues it. */
  queuedGraceSeconds?: number;
  /**
   * How long a resource written WaitingForDependency (its pool is in the same request) waits before the
   * poller re-queues it, as the dispatcher's wait does; default WAIT_RECHECK_SECONDS.
   */
  waitRecheckSeconds?: number;
  /** Namespaces that one team owns together (OWNER_GROUPS). */
  ownerGroups?: OwnerGroups;
  /** Which pushes may delete what their removed manifests declared (PRUNE, PRUNE_REPOSITORIES); absent, none. */
  prune?: PruneSettings;
  /** Where request.accepted / request.rejected go; without it intake publishes nothing. */
  topic?: TopicRef;
  /** Who may provision what, and what needs approval (shared/policy); absent, everything is allowed. */
  policy?: Policy;
  /** Huawei, read-only, to preflight creates and changes; absent, nothing is preflighted. */
  preflight?: AdmissionDeps['preflight'];
  /** How long a request waits for approval before it ends Expired (APPROVAL_TIMEOUT_HOURS). */
  approvalTimeoutHours?: number;
  logger?: { warn(message: string, extra?: Record<string, unknown>): void };
}

interface ResourceSummary {
  kind: string;
  name: string;
  state: string;
}

export type SubmitOutcome =
  | { status: 'accepted'; requestId: string; resources: ResourceSummary[]; duplicate: boolean; approval?: ApprovalRecord }
  | { status: 'rejected'; requestId: string; documents: RejectedDocument[]; duplicate: boolean }
  | { status: 'empty' };

/** The same idempotency key was used for different content. */
export class IdempotencyConflictError extends Error {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
  constructor(readonly requestId: string) {
    super('this Idempotency-Key was already used with a different body');
    this.name = 'IdempotencyConflictError';
  }
}

/**
 * Idempotent end to end: a second call with the same request id returns the first outcome, and a call
 * that died half-way (request written, some resources not yet queued) is completed by the next one.
 */
export async function submit(deps: IntakeDeps, submission: Submission): Promise<SubmitOutcome> {
  const { outcome, deliveryWritten } = await recordSubmission(deps, submission);
  if (submission.delivery && !deliveryWritten) await putDelivery(deps.table, deliveryRecord(deps, submission, outcome.status), nowOf(deps));
  return outcome;
}

function deliveryRecord(deps: Pick<IntakeDeps, 'now'>, submission: Submission, outcome: SubmitOutcome['status']): DeliveryRecord {
  const { provider, deliveryId } = submission.delivery!;
  return { provider, deliveryId, requestId: submission.requestId, outcome, handledAt: nowOf(deps).toISOString() };
}

async function recordSubmission(deps: IntakeDeps, submission: Submission): Promise<{ outcome: SubmitOutcome; deliveryWritten?: true }> {
  const now = nowOf(deps).toISOString();
  const owner = ownerOf(submission.source, deps.ownerGroups);
  const validated = planSubmission(submission.files, deps.defaults, submission.sequenceAsDocuments);
  const removals = submission.removals ?? [];
  if (validated.documents.length === 0 && removals.length === 0) return { outcome: { status: 'empty' } };
  const admitted = await admit(deps, validated, submission.source, owner);
  const checked = withRefusals(validated, admitted.notes);
  const approval = admitted.approval ? await approvalOf(deps, submission, admitted.approval, now) : undefined;
  const recordOf = ({ planned }: PlannedSubmission, rejected: RejectedDocument[]): RequestRecord => ({
    requestId: submission.requestId,
    source: submission.source,
    phase: rejected.length > 0 ? 'Rejected' : 'Recording',
    resourceCount: rejected.length > 0 ? 0 : planned.length + removals.length,
    ...(rejected.length > 0 ? {} : { finishedCount: 0 }),
    ...(rejected.length > 0 ? { rejected } : {}),
    ...(rejected.length === 0 && approval ? { approval } : {}),
    ...(submission.contentHash ? { contentHash: submission.contentHash } : {}),
    createdAt: now,
    updatedAt: now,
  });
  // The usual submission is written in one transaction that also checks, item by item, that no other namespace
  // owns its resources; only when that cannot be tried, or refuses, are the owners read (to name them).
  let oneWrite: Awaited<ReturnType<typeof acceptInOneWrite>> = 'not-written';
  if (rejectedDocuments(checked.documents).length === 0) {
    oneWrite = await acceptInOneWrite(deps, submission, recordOf(checked, []), checked.planned, owner, now, removals);
    if (typeof oneWrite === 'object') return { outcome: oneWrite, deliveryWritten: true };
  }
  const { documents, planned } = oneWrite === 'request-exists' ? checked : await refuseAtIntake(deps.table, checked, owner);
  const rejected = rejectedDocuments(documents);
  const record = recordOf({ documents, planned }, rejected);
  const rejectedEvent = rejected.length > 0 ? rejectionEvent(deps, record) : undefined;
  // The cancelled transaction already showed the request exists: read it rather than fail the same condition again.
  const existing = oneWrite === 'request-exists' ? await getRequest(deps.table, record.requestId) : undefined;
  const put = existing ? { created: false, record: existing } : await putRequestOnce(deps.table, withOutbox(record, rejectedEvent, deps));
  const stored = put.record;
  if (put.created && rejectedEvent) await flush(deps, stored.requestId, rejectedEvent);
  if (!put.created && submission.contentHash && stored.contentHash && stored.contentHash !== submission.contentHash) {
    throw new IdempotencyConflictError(stored.requestId);
  }
  if (stored.phase === 'Rejected') {
    return { outcome: { status: 'rejected', requestId: stored.requestId, documents: stored.rejected ?? [], duplicate: !put.created } };
  }
  // What this request's resources look like when first recorded; a retry is answered the same way.
  const resources = initialResources(stored, planned, owner, now, removals, submission.correction);
  const held = stored.approval ? { approval: stored.approval } : {};
  if (stored.phase !== 'Recording')
    return { outcome: { status: 'accepted', requestId: stored.requestId, resources: summaries(resources), duplicate: true, ...held } };

  // Recording: a request too large for one transaction, or a resumed one. Writes are conditional, so resuming never resets progress.
  await putResourcesOnce(deps.table, withDueTimes(deps, resources, now));
  await enqueueDispatch(deps.dispatch, toDispatch(resources));
  await accept(deps, stored, resources, now);
  return {
    outcome: { status: 'accepted', requestId: stored.requestId, resources: summaries(resources), duplicate: !put.created, ...held },
  };
}

/**
 * The usual case in one write: a new request that fits one transaction is stored already Accepted, with its
 * resources, request.accepted in its outbox and the delivery that brought it. The dispatch messages and the
 * event then go out side by side. Nothing is lost if either fails: every resource is due from the start (the
 * poller re-queues one whose message never came) and the event stays in the outbox for the poller. When the
 * transaction writes nothing, says why (putAcceptedRequestOnce): the resumable path handles large, retried and
 * concurrent submissions.
 */
async function acceptInOneWrite(
  deps: IntakeDeps,
  submission: Submission,
  record: RequestRecord,
  planned: readonly Planned[],
  owner: string,
  now: string,
  removals: readonly Removal[],
): Promise<SubmitOutcome | 'request-exists' | 'not-written' | 'owned-elsewhere'> {
  const resources = initialResources(record, planned, owner, now, removals, submission.correction);
  const accepted: RequestRecord = { ...record, phase: isHeld(record) ? 'PendingApproval' : 'Accepted' };
  const event = deps.topic ? acceptedEvent(accepted, resources, now) : undefined;
  // As accept() and markAccepted() leave it: in the due index, so the poller sees to completion (or to the
  // approval's expiry) and a stuck outbox.
  const request = event
    ? withOutbox(accepted, event, deps)
    : ({ ...accepted, duePk: DUE_PARTITION, dueAt: isHeld(record) ? record.approval!.expiresAt : now } as RequestRecord);
  const delivery = submission.delivery ? [deliveryItem(deliveryRecord(deps, submission, 'accepted'), new Date(now))] : [];
  const written = await putAcceptedRequestOnce(deps.table, request, withDueTimes(deps, resources, now), delivery, owner);
  if (written !== 'written') return written;
  // Settled side by side: a failed enqueue must not keep the published event in the outbox (the poller would send it again).
  const [queued, flushed] = await Promise.allSettled([
    enqueueDispatch(deps.dispatch, toDispatch(resources)),
    event ? flush(deps, record.requestId, event) : undefined,
  ]);
  for (const outcome of [queued, flushed]) if (outcome.status === 'rejected') throw outcome.reason;
  const held = record.approval ? { approval: record.approval } : {};
  return { status: 'accepted', requestId: record.requestId, resources: summaries(resources), duplicate: false, ...held };
}

/** Whether the request's resources wait for an approver before anything is dispatched. */
const isHeld = (record: Pick<RequestRecord, 'approval'>) => record.approval?.state === 'Pending';

/**
 * The approval a request needs, as first recorded: already given when its source gives it (a reviewed merge),
 * else pending until an approver decides or APPROVAL_TIMEOUT_HOURS pass.
 */
async function approvalOf(deps: IntakeDeps, submission: Submission, need: ApprovalNeed, now: string): Promise<ApprovalRecord> {
  const requestedBy = submission.source.user ?? `${submission.source.provider}:${submission.source.caller ?? submission.source.ref}`;
  const hours = deps.approvalTimeoutHours ?? DEFAULT_APPROVAL_TIMEOUT_HOURS;
  const expiresAt = new Date(Date.parse(now) + hours * 3_600_000).toISOString();
  const requested = { action: 'requested' as const, by: requestedBy, at: now, channel: channelOf(submission.source) };
  const base = { ...need, requestedBy, requestedAt: now, expiresAt };
  const given = await submission.sourceApproval?.();
  if (!given) return { ...base, state: 'Pending', history: [requested] };
  return {
    ...base,
    state: 'Approved',
    history: [requested, { action: 'approved', by: given.by, at: now, channel: 'git', comment: given.comment }],
  };
}

const DEFAULT_APPROVAL_TIMEOUT_HOURS = 72;

function channelOf(source: RequestSource): ApprovalChannel {
  return source.provider === 'github' || source.provider === 'gitlab' ? 'git' : source.provider === 'jira' ? 'jira' : 'api';
}

/** When each new resource comes due for the poller if nothing else moves it first. */
function withDueTimes(deps: IntakeDeps, resources: readonly ResourceRecord[], now: string): { record: ResourceRecord; dueAt: string }[] {
  const at = new Date(now);
  const queuedDue = dueAt(at, deps.queuedGraceSeconds ?? QUEUED_GRACE_SECONDS);
  const waitingDue = resources.some((r) => r.state === 'WaitingForDependency')
    ? dueAt(at, deps.waitRecheckSeconds ?? executionConfig().WAIT_RECHECK_SECONDS)
    : queuedDue;
  return resources.map((record) => ({ record, dueAt: record.state === 'WaitingForDependency' ? waitingDue : queuedDue }));
}

/** Dependents of a pool in this request are queued by the pool when it ends (or by the poller when they come due). */
function toDispatch(resources: readonly ResourceRecord[]) {
  return resources.filter((r) => r.state === 'Queued').map(({ requestId, kind, name }) => ({ requestId, kind, name }));
}

const summaries = (resources: readonly ResourceRecord[]): ResourceSummary[] =>
  resources.map(({ kind, name, state }) => ({ kind, name, state }));

/**
 * The records a request starts with. A resource whose reference (a poolRef) names another resource of the
 * same request cannot be created before that one is ready, so it starts WaitingForDependency instead of
 * being dispatched only to find that out; the referenced resource lists it in `dependents` and queues it
 * when it ends. Its managed resource is still claimed at dispatch, as for every resource.
 */
function initialResources(
  request: Pick<RequestRecord, 'requestId' | 'source' | 'approval'>,
  planned: readonly Planned[],
  owner: string,
  now: string,
  removals: readonly Removal[] = [],
  correction?: ResourceRecord['correction'],
): ResourceRecord[] {
  // planSubmission has already refused a reference to a resource of this request in another project or region.
  const declared = new Set(planned.map((p) => `${p.manifest.kind}/${p.manifest.metadata.name}`));
  const referenceOf = (p: Planned) => {
    const reference = adapterOf(p.manifest.kind).reference(p.manifest.spec);
    return reference && declared.has(`${reference.kind}/${reference.name}`) ? reference : undefined;
  };
  const dependents = new Map<string, { kind: string; name: string }[]>();
  for (const p of planned) {
    const reference = referenceOf(p);
    if (!reference) continue;
    const key = `${reference.kind}/${reference.name}`;
    dependents.set(key, [...(dependents.get(key) ?? []), { kind: p.manifest.kind, name: p.manifest.metadata.name }]);
  }
  const held = isHeld(request);
  const applying = planned.map((p): ResourceRecord => {
    const { manifest, file, projectId, region } = p;
    const reference = referenceOf(p);
    const listed = dependents.get(`${manifest.kind}/${manifest.metadata.name}`);
    const next = reference ? 'WaitingForDependency' : 'Queued';
    const state: ResourceState = held ? 'PendingApproval' : next;
    return {
      requestId: request.requestId,
      kind: manifest.kind,
      name: manifest.metadata.name,
      projectId,
      region,
      state,
      owner,
      source: managedSource(request.source, file),
      manifest: manifest as unknown as Record<string, unknown>,
      specHash: specHash(manifest.kind, manifest.spec, region),
      file,
      createdAt: now,
      updatedAt: now,
      ...(reference ? { message: `waiting for ${reference.kind} ${reference.name} to be ready` } : {}),
      ...(held ? { heldState: next, message: 'awaiting approval' } : {}),
      ...(correction ? { correction } : {}),
      ...(listed ? { dependents: listed } : {}),
    };
  });
  const removing = removals.map(
    (removal): ResourceRecord => ({
      requestId: request.requestId,
      kind: removal.kind,
      name: removal.name,
      projectId: removal.projectId,
      region: removal.region,
      state: held ? 'PendingApproval' : 'Queued',
      ...(held ? { heldState: 'Queued' as const } : {}),
      operation: removal.operation,
      owner,
      source: managedSource(request.source, removal.file),
      manifest: { kind: removal.kind, metadata: { name: removal.name }, spec: removal.spec },
      file: removal.file,
      message: removal.operation === 'delete' ? 'to be deleted' : 'to be orphaned: left running, no longer managed',
      createdAt: now,
      updatedAt: now,
    }),
  );
  return [...applying, ...removing];
}

/** Records a request that could not even be read (bad message, unreadable repository) so the sender can see why. */
export async function rejectRequest(
  deps: Pick<IntakeDeps, 'table' | 'now' | 'topic' | 'logger'>,
  requestId: string,
  source: RequestSource,
  file: string,
  message: string,
): Promise<SubmitOutcome> {
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const documents = boundRejected([{ file, index: 0, errors: [{ path: '', message, line: 1, column: 1 }] }]);
  const record: RequestRecord = {
    requestId,
    source,
    phase: 'Rejected',
    resourceCount: 0,
    rejected: documents,
    createdAt: now,
    updatedAt: now,
  };
  const event = rejectionEvent(deps, record);
  const put = await putRequestOnce(deps.table, withOutbox(record, event, deps));
  if (put.created && event) await flush(deps, requestId, event);
  return { status: 'rejected', requestId, documents: put.record.rejected ?? documents, duplicate: !put.created };
}

type OutboxFields = { pendingEvents: OutgoingEvent[]; duePk: string; dueAt: string };

function nowOf(deps: Pick<IntakeDeps, 'now'>): Date {
  return (deps.now ?? (() => new Date()))();
}

/** The record's own report, already bounded (boundRejected), so the two together fit one item and the event fits SNS. */
function rejectionEvent(deps: Pick<IntakeDeps, 'topic' | 'now'>, record: RequestRecord): OutgoingEvent | undefined {
  if (!deps.topic) return undefined;
  const documents = record.rejected ?? [];
  return requestEvent(EVENT_TYPES.requestRejected, 'rejected', record.createdAt, {
    requestId: record.requestId,
    source: record.source,
    state: 'Rejected',
    resources: documents
      .filter((d) => d.kind && d.name)
      .map((d) => ({ kind: d.kind!, name: d.name!, state: 'Rejected', huaweiId: null, reason: 'Invalid', message: null })),
    errors: documents,
  });
}

/** The event rides in the record's own put, so a rejection is never stored without it (the poller publishes leftovers). */
function withOutbox(record: RequestRecord, event: OutgoingEvent | undefined, deps: Pick<IntakeDeps, 'now'>): RequestRecord {
  if (!event) return record;
  const outbox: OutboxFields = { pendingEvents: [event], duePk: DUE_PARTITION, dueAt: dueAt(nowOf(deps), OUTBOX_RETRY_SECONDS) };
  return { ...record, ...outbox } as RequestRecord;
}

async function flush(deps: Pick<IntakeDeps, 'table' | 'topic' | 'now' | 'logger'>, requestId: string, event: OutgoingEvent): Promise<void> {
  if (!deps.topic) return;
  await flushOutbox(
    { table: deps.table, topic: deps.topic, now: () => nowOf(deps), ...(deps.logger ? { logger: deps.logger } : {}) },
    requestKey(requestId),
    [event],
  );
}

function acceptedEvent(request: RequestRecord, resources: readonly ResourceRecord[], nowIso: string): OutgoingEvent {
  if (isHeld(request)) return decisionEvent(request, resources, nowIso);
  return requestEvent(EVENT_TYPES.requestAccepted, 'accepted', nowIso, {
    requestId: request.requestId,
    source: request.source,
    state: 'InProgress',
    resources: resources.map(({ kind, name, state, message, operation }) => ({
      kind,
      name,
      state,
      operation: operation ?? null,
      huaweiId: null,
      reason: null,
      message: message ?? null,
    })),
  });
}

/**
 * Recording -> Accepted, with request.accepted written in the same guarded update: only the attempt that
 * moves the phase writes the event, so a retried intake never announces the request twice.
 */
async function accept(deps: IntakeDeps, stored: RequestRecord, resources: readonly ResourceRecord[], nowIso: string): Promise<void> {
  const phase = isHeld(stored) ? 'PendingApproval' : 'Accepted';
  if (!deps.topic) return markAccepted(deps.table, stored.requestId, nowIso, phase);
  const event = acceptedEvent(stored, resources, nowIso);
  if (!(await markAcceptedWithEvent(deps.table, stored.requestId, event, nowIso, dueAt(nowOf(deps), OUTBOX_RETRY_SECONDS), phase))) return;
  await flush(deps, stored.requestId, event);
}
