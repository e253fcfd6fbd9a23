/**
 * Drift: every ready managed resource is looked at again once per DRIFT_INTERVAL_MINUTES, in its own slot
 * (drift-schedule.ts), and what Huawei holds is compared with the desired spec through the kind's comparison (only
 * the keys the spec holds; sets as sets, keyed lists by key; server-set fields and ownership marks ignored). Sync
 * and health are kept apart, as Argo CD keeps them: `Synced` says whether the fields match, `Healthy` what Huawei
 * says of it now (a notebook its lease stopped, a pool Abnormal), `Ready` whether it exists at all (`Missing` when it
 * was deleted outside hwc-provisioner). An event goes out when a condition changes, never for a look that finds
 * what the last one found: a drift that lasts a week is one event.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { walkDue } from './due-walk';
import { deriveRequestId } from '../intake/ids';
import type { DriftCorrectionJob } from '../intake/messages';
import { API_VERSION } from '../manifests/envelope';
import { driftEvent, type DriftChange, type OutgoingEvent } from '../events/cloudevents';
import { flushOutbox } from '../events/outbox';
import { isNotFoundError } from '../huaweicloud/client';
import { HuaweiPermanentError } from '../huaweicloud/errors';
import type { FieldDiff, Observation, ResourceSpec } from '../kinds/adapter';
import { adapterOf } from '../kinds/registry';
import { getManaged, leaveDrift, managedKey, queryDriftDue, recordDriftLook } from '../store/managed';
import type { Condition, ManagedResource, ResourceConditions } from '../store/types';
import { nextDriftAt } from './drift-schedule';
import type { ReconcileDeps } from './resource';

export interface DriftSettings {
  budgetMs: number;
  concurrency: number;
  intervalMinutes: number;
}

export interface DriftStats {
  /** Items the tick read from the drift partition: the resources due, not the inventory. */
  itemsRead: number;
  looked: number;
  /** Looks whose read of Huawei failed: the resource keeps its conditions and is looked at in its next slot. */
  unreadable: number;
  events: number;
  deferred: boolean;
}

/** The look of one tick: every resource due now, within the budget; what is left stays due for the next tick. */
export async function driftTick(deps: ReconcileDeps, settings: DriftSettings): Promise<DriftStats> {
  const stats: DriftStats = { itemsRead: 0, looked: 0, unreadable: 0, events: 0, deferred: false };
  const nowIso = deps.now().toISOString();
  const walked = await walkDue(
    (startKey) => queryDriftDue(deps.table, nowIso, startKey),
    (managed) => lookAt(deps, settings, managed, stats),
    settings,
  );
  return Object.assign(stats, walked);
}

async function lookAt(deps: ReconcileDeps, settings: DriftSettings, managed: ManagedResource, stats: DriftStats): Promise<void> {
  const key = managedKey(managed.projectId, managed.kind, managed.name);
  // Events a look wrote but could not publish go out first, in order.
  const leftover = (managed as { pendingEvents?: OutgoingEvent[] }).pendingEvents;
  if (leftover?.length) await flushOutbox(deps, key, leftover);
  if (managed.state !== 'Succeeded' || !managed.huaweiId) return leaveDrift(deps.table, managed);
  const now = deps.now();
  const at = now.toISOString();
  const next = nextDriftAt(managed, now, settings.intervalMinutes);
  const seen = await observe(deps, managed);
  stats.looked++;
  if (seen === 'unreadable') {
    stats.unreadable++;
    await recordDriftLook(deps.table, managed, {
      requestId: managed.requestId,
      generation: managed.generation,
      observation: managed.observation ?? { at, phase: 'Unknown' },
      conditions: managed.conditions,
      drift: managed.drift ?? [],
      nextDueAt: next,
      events: [],
    });
    return;
  }
  const spec = managed.desired as ResourceSpec;
  // The kinds compare create bodies; paths are shown from the manifest's root, as plans and changes show them.
  const diff: FieldDiff[] =
    seen === 'missing'
      ? []
      : adapterOf(managed.kind)
          .compare(spec, seen.observed)
          .map((d) => ({ ...d, path: manifestPath(d.path) }));
  const conditions = nextConditions(managed.conditions, seen, diff, at);
  const changes = changesOf(managed.conditions, conditions, (managed.drift?.length ?? 0) > 0);
  const observed = seen === 'missing' ? null : { phase: seen.phase, reason: seen.reason ?? null, message: seen.message ?? null };
  const events = changes.map((change) =>
    driftEvent(change, {
      requestId: managed.requestId,
      source: { ...managed.source } as DriftCorrectionJob['source'],
      kind: managed.kind,
      name: managed.name,
      projectId: managed.projectId,
      region: managed.region,
      huaweiId: managed.huaweiId!,
      diff: change === 'drifted' ? diff.map(({ path, desired, observed: value }) => ({ path, desired, observed: value })) : [],
      observed,
      driftPolicy: spec.driftPolicy === 'Correct' ? 'Correct' : 'Observe',
      observedAt: at,
    }),
  );
  const written = await recordDriftLook(deps.table, managed, {
    requestId: managed.requestId,
    generation: managed.generation,
    observation:
      seen === 'missing'
        ? { at, phase: 'Missing', reason: 'NotFound' }
        : { at, phase: seen.phase, ...(seen.reason ? { reason: seen.reason } : {}), ...(seen.message ? { message: seen.message } : {}) },
    conditions,
    drift: diff.map(({ path, desired, observed: value }) => ({ path, desired, observed: value })),
    nextDueAt: next,
    events,
  });
  // A request took the resource on while we looked: its own ending says what it is now.
  if (!written) return;
  const wrong = conditions.Ready.reason === 'Missing' ? 'missing' : conditions.Synced.status === 'False' ? 'drift' : undefined;
  const correction = spec.driftPolicy === 'Correct' ? wrong : undefined;
  const [published] = await Promise.all([
    events.length > 0 ? flushOutbox(deps, key, events) : false,
    correction ? handToIntake(deps, managed, correction) : undefined,
  ]);
  if (published) stats.events += events.length;
}

/**
 * Asks intake to apply the manifest again, as the source that last applied it: the correction passes the policy,
 * its approvals and the lifecycle's crash-safety like any change. Every look that finds the resource still wrong
 * asks, under one request id per generation: a correction waiting (for an approver, say) is not asked for twice,
 * one that was lost is asked for again, and once one is applied the generation moves on.
 */
async function handToIntake(deps: ReconcileDeps, managed: ManagedResource, correction: 'drift' | 'missing') {
  if (!deps.intake) {
    deps.logger?.warn('driftPolicy Correct asked for, but no intake queue is configured: drift is only reported', {
      kind: managed.kind,
      name: managed.name,
    });
    return;
  }
  const requestId = deriveRequestId('drift', managed.projectId, managed.kind, managed.name, String(managed.generation), correction);
  const job: DriftCorrectionJob = {
    type: 'drift.correct',
    requestId,
    deliveryId: `drift:${requestId}`,
    correction,
    source: { ...managed.source },
    manifest: { apiVersion: API_VERSION, kind: managed.kind, metadata: { name: managed.name }, spec: managed.desired },
  };
  await deps.intake.sqs.send(new SendMessageCommand({ QueueUrl: deps.intake.queueUrl, MessageBody: JSON.stringify(job) }));
}

/** Huawei's answer for the resource, 'missing' when it answers not found, 'unreadable' when it does not answer. */
async function observe(deps: ReconcileDeps, managed: ManagedResource): Promise<Observation | 'missing' | 'unreadable'> {
  const adapter = adapterOf(managed.kind);
  const spec = managed.desired as ResourceSpec;
  try {
    // A node pool's calls go to its pool: through the pool's managed resource, as when it was created.
    const reference = adapter.reference(spec);
    const referenced = reference ? await getManaged(deps.table, managed.projectId, reference.kind, reference.name) : undefined;
    const target = adapter.target({ projectId: managed.projectId, region: managed.region, name: managed.name, spec }, referenced?.huaweiId);
    return await deps.cloud.observe(managed.kind, target, managed.huaweiId!);
  } catch (error) {
    if (error instanceof HuaweiPermanentError && isNotFoundError(error)) return 'missing';
    deps.logger?.warn('drift look could not read the resource; it is looked at again in its next slot', {
      kind: managed.kind,
      name: managed.name,
      errorName: (error as Error).name,
    });
    return 'unreadable';
  }
}

const condition = (previous: Condition, status: Condition['status'], reason: string, at: string, message?: string): Condition => ({
  status,
  reason,
  // A transition time moves only when the status does.
  lastTransitionTime: previous.status === status ? previous.lastTransitionTime : at,
  ...(message ? { message } : {}),
});

function nextConditions(
  previous: ResourceConditions,
  seen: Observation | 'missing',
  diff: readonly FieldDiff[],
  at: string,
): ResourceConditions {
  if (seen === 'missing')
    return {
      Ready: condition(previous.Ready, 'False', 'Missing', at, 'deleted outside hwc-provisioner: Huawei Cloud answers not found'),
      Synced: condition(previous.Synced, 'False', 'Missing', at),
      Healthy: condition(previous.Healthy, 'Unknown', 'Missing', at),
    };
  const fields = diff.map((d) => d.path);
  const shown = fields.length > 3 ? `${fields.slice(0, 3).join(', ')} and ${fields.length - 3} more` : fields.join(', ');
  return {
    Ready: condition(previous.Ready, 'True', 'Available', at),
    Synced:
      diff.length > 0
        ? condition(previous.Synced, 'False', 'Drifted', at, `Huawei Cloud differs from the manifest: ${shown}`)
        : condition(previous.Synced, 'True', 'InSync', at),
    Healthy:
      seen.phase === 'Succeeded'
        ? condition(previous.Healthy, 'True', seen.reason ?? 'Available', at)
        : condition(previous.Healthy, 'False', seen.reason ?? seen.phase, at, seen.message),
  };
}

/**
 * The changes worth an event: each condition that changed status. A resource that comes back (Ready again after
 * Missing) is announced by its sync, as is one a request brought back to its manifest.
 */
function changesOf(before: ResourceConditions, after: ResourceConditions, hadDrift: boolean): DriftChange[] {
  const changes: DriftChange[] = [];
  if (after.Ready.reason === 'Missing') return before.Ready.reason === 'Missing' ? [] : ['missing'];
  const backFromMissing = before.Ready.reason === 'Missing';
  if (after.Synced.status === 'False' && (before.Synced.status !== 'False' || backFromMissing)) changes.push('drifted');
  // A request that applied the manifest since (a correction, an update) reset Synced; the drift it cured is still on record.
  if (after.Synced.status === 'True' && (before.Synced.status === 'False' || backFromMissing || hadDrift)) changes.push('synced');
  if (after.Healthy.status === 'False' && before.Healthy.status !== 'False') changes.push('unhealthy');
  if (after.Healthy.status === 'True' && before.Healthy.status === 'False') changes.push('healthy');
  return changes;
}

const manifestPath = (bodyPath: string) => (bodyPath === '' ? 'spec.body' : `spec.body.${bodyPath}`);
