/**
 * Plans for pull and merge requests: what merging would do to each changed manifest (create, already
 * exists, being created, would fail, invalid), told in ONE comment edited in place and a commit status on
 * the head. Nothing is created here.
 */
import { specHash } from '../dispatch/dispatcher';
import { huaweiName } from '../dispatch/ownership';
import type { HuaweiTarget } from '../huaweicloud/client';
import { formatIssue } from '../manifests/errors';
import type { Kind } from '../manifests/kinds';
import { changedManifests, type GitReader } from '../intake/git';
import { planSubmission, type IntakeDeps, type SourceFile } from '../intake/submit';
import { getIdentity } from '../store/identity';
import { getRequest } from '../store/requests';
import { getResource } from '../store/resources';
import type { ResourceRecord } from '../store/types';
import type { GithubFeedback } from './github';
import type { GitlabFeedback } from './gitlab';
import { PLAN_CONTEXT, PLAN_MARKER, planMarkdown, planSummary, type PlanEntry } from './render';
import { advance, upsertComment, type NotifyStore } from './state';

/**
 * Whose pull or merge request the plan answers. Its author may learn that a resource exists, but only the
 * Huawei ids of what their own repository created: a request from elsewhere (another repository, a ticket,
 * an API caller) is not theirs to inspect. A fork's author owns nothing in the base repository.
 */
/** Who reads a plan: a pull or merge request's repository, or an API caller's dry run. */
export type PlanViewer = { provider: 'github' | 'gitlab'; repository: string; fork?: boolean } | { provider: 'api'; caller: string };

/** Whether the requests that own identities came from the viewer's repository; one read per request. */
function ownership(table: PlanServices['store']['table'], viewer: PlanViewer): (requestId: string) => Promise<boolean> {
  const known = new Map<string, Promise<boolean>>();
  return (requestId) => {
    let answer = known.get(requestId);
    if (!answer) {
      answer =
        viewer.provider !== 'api' && viewer.fork
          ? Promise.resolve(false)
          : getRequest(table, requestId).then((request) => {
              const source = request?.source;
              // A missing record owns nothing we can vouch for.
              if (!source || source.provider !== viewer.provider) return false;
              if (viewer.provider === 'api') return source.caller === viewer.caller;
              // Repository names are case-insensitive on both providers.
              return source.repository?.toLowerCase() === viewer.repository.toLowerCase();
            });
      known.set(requestId, answer);
    }
    return answer;
  };
}

const ELSEWHERE = 'owned by another source';

/** The Huawei look-up the plan makes; the real client satisfies it. */
export interface PlanCloud {
  findByName(kind: Kind, target: HuaweiTarget, name: string): Promise<unknown[]>;
}

export interface PlanServices {
  store: NotifyStore;
  defaults: IntakeDeps['defaults'];
  github?: GithubFeedback;
  gitlab?: GitlabFeedback;
  /** Absent when Huawei credentials are not configured for intake: then only the table is consulted. */
  cloud?: PlanCloud;
  logger?: { warn(message: string, extra?: Record<string, unknown>): void; info(message: string, extra?: Record<string, unknown>): void };
}

interface Spec {
  poolName?: string;
  poolRef?: string;
  iefInstanceId?: string;
  body: Record<string, unknown>;
}

/** Key-order-free JSON: a manifest read back from DynamoDB need not list its keys in the order they were written. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The same test the dispatcher applies (create body, targeting, region), compared without regard to key order. */
function sameSpec(a: Pick<ResourceRecord, 'manifest' | 'region'>, b: { manifest: unknown; region: string }): boolean {
  const pick = (r: { manifest: unknown; region: string }) => {
    const { body, poolName, poolRef, iefInstanceId } = (r.manifest as { spec: Spec }).spec;
    return canonical({ body, poolName, poolRef, iefInstanceId, region: r.region });
  };
  return pick(a) === pick(b);
}

/** Verdict per document of the changed files, in file order. */
export function planFiles(
  services: Pick<PlanServices, 'store' | 'defaults' | 'cloud'>,
  files: readonly SourceFile[],
  viewer: PlanViewer,
): Promise<PlanEntry[]> {
  return planSubmitted(services, planSubmission(files, services.defaults), viewer);
}

/** The same, for a submission already validated (a dry run has checked it as submit() would). */
export async function planSubmitted(
  services: Pick<PlanServices, 'store' | 'defaults' | 'cloud'>,
  { documents, planned }: ReturnType<typeof planSubmission>,
  viewer: PlanViewer,
): Promise<PlanEntry[]> {
  const owns = ownership(services.store.table, viewer);
  const entries: { order: string; entry: PlanEntry }[] = [];
  const order = (file: string, index: number) => `${file}\u0000${String(index).padStart(6, '0')}`;
  for (const doc of documents.filter((d) => !d.valid)) {
    entries.push({
      order: order(doc.file, doc.index),
      entry: {
        file: doc.file,
        ...(doc.kind ? { kind: doc.kind } : {}),
        ...(doc.name ? { name: doc.name } : {}),
        verdict: 'invalid',
        detail: `${doc.errors.length} error${doc.errors.length === 1 ? '' : 's'}`,
        errors: doc.errors.map((e) => formatIssue(doc.file, e)),
      },
    });
  }
  const table = services.store.table;
  for (const item of planned) {
    const { manifest, file, projectId, region } = item;
    const doc = documents.find((d) => d.manifest === manifest);
    const kind = manifest.kind;
    const name = manifest.metadata.name;
    const base = { file, kind, name, errors: [] as string[] };
    const at = order(file, doc?.index ?? 0);
    const identity = await getIdentity(table, projectId, kind, name);
    if (identity?.state === 'Succeeded') {
      const owner = await getResource(table, identity.ownerRequestId, kind, name);
      const same = owner
        ? sameSpec(owner, { manifest, region })
        : identity.specHash === specHash({ manifest, region } as unknown as ResourceRecord);
      const mine = await owns(identity.ownerRequestId);
      const id = mine ? (identity.huaweiId ? ` (id ${identity.huaweiId})` : '') : `; ${ELSEWHERE}`;
      entries.push({
        order: at,
        entry: same
          ? { ...base, verdict: 'exists', detail: `unchanged${id}` }
          : {
              ...base,
              verdict: 'conflict',
              detail:
                `exists with a different spec (${mine ? `request ${identity.ownerRequestId}` : ELSEWHERE}); ` + 'updates are not supported',
            },
      });
      continue;
    }
    if (identity?.state === 'InFlight') {
      const by = (await owns(identity.ownerRequestId)) ? `by request ${identity.ownerRequestId}` : 'by a request from another source';
      entries.push({ order: at, entry: { ...base, verdict: 'in-progress', detail: by } });
      continue;
    }
    entries.push({
      order: at,
      entry: { ...base, ...(await lookUp(services, owns, kind, projectId, region, manifest.spec as unknown as Spec)) },
    });
  }
  return entries.sort((a, b) => a.order.localeCompare(b.order)).map((e) => e.entry);
}

/** Huawei is asked only when the table knows nothing: a same-named resource made by hand would make the create fail. */
async function lookUp(
  services: Pick<PlanServices, 'store' | 'cloud'>,
  owns: (requestId: string) => Promise<boolean>,
  kind: Kind,
  projectId: string,
  region: string,
  spec: Spec,
): Promise<Pick<PlanEntry, 'verdict' | 'detail'>> {
  const create = { verdict: 'create' as const, detail: `in ${region}` };
  if (!services.cloud) return create;
  let poolName = spec.poolName;
  // Huawei's error messages may quote the pool's id, which is not the viewer's to see when the pool is another source's.
  let hidden: string | undefined;
  if (kind === 'NodePool' && !poolName && spec.poolRef) {
    const pool = await getIdentity(services.store.table, projectId, 'ResourcePool', spec.poolRef);
    // The pool is created by this change (or later): its node pools cannot exist yet.
    if (pool?.state !== 'Succeeded' || !pool.huaweiId) return create;
    poolName = pool.huaweiId;
    if (!(await owns(pool.ownerRequestId))) hidden = poolName;
  }
  const target: HuaweiTarget = {
    projectId,
    region,
    ...(poolName ? { poolName } : {}),
    ...(spec.iefInstanceId ? { iefInstanceId: spec.iefInstanceId } : {}),
  };
  const wanted = huaweiName(kind, spec.body);
  try {
    const found = await services.cloud.findByName(kind, target, wanted);
    if (found.length > 0)
      return { verdict: 'conflict', detail: `Huawei Cloud already has a ${kind} named ${wanted} that hwc-provisioner did not create` };
    return create;
  } catch (error) {
    const message = hidden ? (error as Error).message.split(hidden).join(`(the pool ${spec.poolRef})`) : (error as Error).message;
    return { verdict: 'create', detail: `in ${region} (could not check Huawei Cloud: ${message})` };
  }
}

async function computeAndRender(
  services: PlanServices,
  reader: GitReader,
  viewer: PlanViewer,
  base: string,
  head: string,
  globs: readonly string[],
  baseRef: string,
) {
  const files = await changedManifests(reader, base, head, globs);
  const entries = await planFiles(services, files, viewer);
  return { entries, body: planMarkdown(entries, { head, baseRef }), summary: planSummary(entries) };
}

/** GitHub: the plan comment on the pull request and `hwc-provisioner/plan` on its head commit. */
export async function planGithubPullRequest(
  services: PlanServices,
  reader: GitReader,
  job: { repository: string; number: number; base: string; head: string; baseRef: string; updatedAt: string; fork?: boolean },
  globs: readonly string[],
): Promise<{ entries: PlanEntry[]; comment: 'created' | 'updated' | 'stale' | 'skipped' }> {
  const viewer: PlanViewer = { provider: 'github', repository: job.repository, ...(job.fork ? { fork: true } : {}) };
  const { entries, body, summary } = await computeAndRender(services, reader, viewer, job.base, job.head, globs, job.baseRef);
  const github = services.github;
  if (!github) {
    services.logger?.warn('no GITHUB_TOKEN: the plan is not posted', { repository: job.repository, number: job.number });
    return { entries, comment: 'skipped' };
  }
  const key = { pk: `NOTIFY#plan#github#${job.repository}#${job.number}`, sk: 'COMMENT' };
  const comment = await upsertComment(services.store, key, job.updatedAt, body, github.comments(job.repository, job.number, PLAN_MARKER));
  await advance(
    services.store,
    { pk: key.pk, sk: `STATUS#${job.head}` },
    'posted',
    () => 1,
    () => github.setStatus(job.repository, job.head, { state: summary.state, context: PLAN_CONTEXT, description: summary.description }),
  );
  return { entries, comment };
}

/** GitLab: the plan note on the merge request and `hwc-provisioner/plan` on its head commit. */
export async function planGitlabMergeRequest(
  services: PlanServices,
  reader: GitReader,
  job: {
    projectId: number;
    repository: string;
    iid: number;
    base: string;
    head: string;
    baseRef: string;
    updatedAt: string;
    fork?: boolean;
  },
  globs: readonly string[],
): Promise<{ entries: PlanEntry[]; comment: 'created' | 'updated' | 'stale' | 'skipped' }> {
  const viewer: PlanViewer = { provider: 'gitlab', repository: job.repository, ...(job.fork ? { fork: true } : {}) };
  const { entries, body, summary } = await computeAndRender(services, reader, viewer, job.base, job.head, globs, job.baseRef);
  const gitlab = services.gitlab;
  if (!gitlab) {
    services.logger?.warn('no GITLAB_TOKEN: the plan is not posted', { repository: job.repository, iid: job.iid });
    return { entries, comment: 'skipped' };
  }
  const key = { pk: `NOTIFY#plan#gitlab#${job.projectId}#${job.iid}`, sk: 'COMMENT' };
  const comment = await upsertComment(services.store, key, job.updatedAt, body, gitlab.notes(job.projectId, job.iid, PLAN_MARKER));
  await advance(
    services.store,
    { pk: key.pk, sk: `STATUS#${job.head}` },
    'posted',
    () => 1,
    () =>
      gitlab.setStatus(job.projectId, job.head, {
        state: summary.state === 'success' ? 'success' : 'failed',
        name: PLAN_CONTEXT,
        description: summary.description,
      }),
  );
  return { entries, comment };
}
