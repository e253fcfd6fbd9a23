/**
 * Admission: after a submission validates and before anything is recorded, the policy says whether its source
 * may provision each resource (and whether an approver must agree first), and a preflight asks Huawei, read-only,
 * whether each create or change can succeed (a flavor sold out, a quota used up). A refusal marks the document
 * invalid with the rule's or Huawei's words, so it reaches the caller as any validation error does: a 422 for an
 * API call, a rejected request for a push or a ticket, a "would fail" line in a plan.
 */
import type { HuaweiTarget } from '../huaweicloud/client';
import type { PreflightContext, ResourceSpec } from '../kinds/adapter';
import { refuseDocument } from '../manifests/errors';
import type { Planned, PlannedSubmission } from '../manifests/submission';
import type { Policy } from '../policy/document';
import { evaluatePolicy, subjectOf, type PolicyVerdict } from '../policy/evaluate';
import type { CloudApi } from '../reconcile/cloud';
import { preflightMessage, preflightResource } from '../reconcile/preflight';
import { adapterResource, targetOf } from '../reconcile/resource';
import { specHash } from '../reconcile/verdict';
import { getManagedMany } from '../store/managed';
import type { TableRef } from '../store/requests';
import type { ManagedResource, RequestSource } from '../store/types';

/** Intake waits this long for Huawei's answers to one resource's checks; later answers count as unknown. */
const PREFLIGHT_BUDGET_MS = 5_000;

export interface AdmissionDeps {
  table: TableRef;
  /** Absent: no policy is configured, and every source may provision everything (as before policies existed). */
  policy?: Policy;
  /** Huawei, for the preflight; absent (no credentials where this runs), nothing is preflighted. */
  preflight?: Pick<CloudApi, 'preflight'>;
}

/** The approval the admitted resources need: every rule that asked, and who may give it. */
export interface ApprovalNeed {
  rules: string[];
  reasons: string[];
  approvers: string[];
}

/** Why admission refuses a resource: the policy's words, or Huawei's. */
interface Refusal {
  by: 'policy' | 'preflight';
  path: string;
  message: string;
}

/** What admission said of one resource: plans show it, intake refuses by it. */
export interface AdmissionNote {
  planned: Planned;
  policy?: PolicyVerdict;
  refusals: Refusal[];
  /** Preflight checks Huawei could not answer: reported, never blocking. */
  unknown: string[];
}

export interface Admission {
  notes: AdmissionNote[];
  approval?: ApprovalNeed;
}

/** The submission with every refused resource's document marked invalid (its errors say why) and left out of `planned`. */
export function withRefusals(submission: PlannedSubmission, notes: readonly AdmissionNote[]): PlannedSubmission {
  const refused = notes.filter((n) => n.refusals.length > 0);
  if (refused.length === 0) return submission;
  for (const note of refused) for (const r of note.refusals) refuseDocument(submission.documents, note.planned, r.path, r.message);
  const out = new Set(refused.map((n) => n.planned));
  return { ...submission, planned: submission.planned.filter((p) => !out.has(p)) };
}

/**
 * Runs the policy and the preflight over every planned resource. The preflight of a create starts beside the read
 * of the managed resources (most submissions create), so the two round trips overlap; its answer is dropped for a
 * resource that turns out unchanged, and a change is checked again as the change it is.
 */
export async function admit(deps: AdmissionDeps, submission: PlannedSubmission, source: RequestSource, owner: string): Promise<Admission> {
  const notes: AdmissionNote[] = submission.planned.map((planned) => ({ planned, refusals: [], unknown: [] }));
  if ((!deps.policy && !deps.preflight) || submission.planned.length === 0) return { notes };
  const cloud = deps.preflight;
  const asCreate = new Map(cloud ? notes.map((note) => [note, preflightOne(cloud, note.planned, { operation: 'create' })] as const) : []);
  const managed = await getManagedMany(
    deps.table,
    submission.planned.map((p) => ({ projectId: p.projectId, kind: p.manifest.kind, name: p.manifest.metadata.name })),
  );
  const live = (p: Planned): ManagedResource | undefined => {
    const found = managed.get(`${p.projectId}/${p.manifest.kind}/${p.manifest.metadata.name}`);
    return found && found.state !== 'Deleted' && found.state !== 'Orphaned' ? found : undefined;
  };
  const need: ApprovalNeed = { rules: [], reasons: [], approvers: [] };
  if (deps.policy) {
    const subject = subjectOf(source, owner);
    for (const note of notes) {
      const { planned } = note;
      const current = live(planned);
      const verdict = evaluatePolicy(deps.policy, subject, {
        kind: planned.manifest.kind,
        name: planned.manifest.metadata.name,
        projectId: planned.projectId,
        region: planned.region,
        manifest: planned.manifest as unknown as Record<string, unknown>,
        ...(current ? { oldManifest: { ...planned.manifest, spec: current.desired } as Record<string, unknown> } : {}),
      });
      note.policy = verdict;
      if (!verdict.allowed) {
        const rule = verdict.rule ? ` (rule ${verdict.rule})` : '';
        note.refusals.push({ by: 'policy', path: 'metadata.name', message: `denied by policy${rule}: ${verdict.message}` });
      } else if (verdict.approval) {
        const { rule, approvers, reason } = verdict.approval;
        if (!need.rules.includes(rule)) need.rules.push(rule);
        need.reasons.push(`${planned.manifest.kind} ${planned.manifest.metadata.name}: ${reason}`);
        for (const who of approvers) if (!need.approvers.includes(who)) need.approvers.push(who);
      }
    }
  }
  if (cloud) {
    await Promise.all(
      notes.map(async (note) => {
        const { planned } = note;
        const current = live(planned);
        const unchanged =
          current?.state === 'Succeeded' && current.specHash === specHash(planned.manifest.kind, planned.manifest.spec, planned.region);
        if (note.refusals.length > 0 || unchanged) return;
        const result = current
          ? await preflightOne(cloud, planned, { operation: 'update', current: current.desired as ResourceSpec })
          : await asCreate.get(note)!;
        if (!result) return;
        // The error carries the path itself: the words alone, not preflightMessage's "(path)".
        for (const check of result.failed)
          note.refusals.push({
            by: 'preflight',
            path: check.path ?? 'metadata.name',
            message: preflightMessage({ ...check, path: undefined }),
          });
        note.unknown = result.unknown.map((check) => `${check.check}: ${check.message}`);
      }),
    );
  }
  return { notes, ...(need.rules.length > 0 ? { approval: need } : {}) };
}

/** One resource's checks; undefined when it has no target to check against yet (a reference not resolvable now). */
async function preflightOne(cloud: Pick<CloudApi, 'preflight'>, planned: Planned, context: PreflightContext) {
  const record = { ...planned, kind: planned.manifest.kind, name: planned.manifest.metadata.name, manifest: planned.manifest as never };
  let target: HuaweiTarget;
  try {
    target = targetOf(record);
  } catch {
    return undefined;
  }
  return preflightResource(cloud, planned.manifest.kind, adapterResource(record), target, context, { timeoutMs: PREFLIGHT_BUDGET_MS });
}
