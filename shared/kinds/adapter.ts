/**
 * What every kind provides: everything that differs between kinds lives behind this one interface (as
 * Crossplane's ExternalClient: observe, create, update, delete), so the lifecycle, the plan and the stores
 * never ask which kind they hold. Adding a kind is a folder implementing this, a line in registry.ts and
 * the simulator's routes.
 */
import type * as z from 'zod';
import type { HuaweiService } from '../huaweicloud/endpoints';
import type { HuaweiTarget, HuaweiTransport } from '../huaweicloud/client';

/** A manifest's `spec` as the lifecycle handles it: the create body plus the kind's targeting fields. */
export interface ResourceSpec {
  body: Record<string, unknown>;
  timeoutMinutes?: number;
  [field: string]: unknown;
}

/** One managed resource as an adapter needs it: where it lives and what is wanted. */
export interface AdapterResource {
  projectId: string;
  region: string;
  name: string;
  spec: ResourceSpec;
}

/** A spec field that names another managed resource, whose Huawei id this one is created with (a pool). */
interface Reference {
  kind: string;
  name: string;
  /** Path of the naming field in the manifest, for messages. */
  path: readonly string[];
}

/** What Huawei says about one resource at one moment. */
export interface Observation {
  phase: 'InProgress' | 'Succeeded' | 'Failed';
  /** Huawei's own status word (CREATE_FAILED, Abnormal, ImagePullBackOff, ...), for machines. */
  reason?: string;
  /** Human detail: fail_reason, status.message, progress counts. */
  message?: string;
  /** The fields Huawei reports, for the comparison with the desired spec. */
  observed: unknown;
}

/** One field where what Huawei holds differs from what the manifest asks for. */
export interface FieldDiff {
  path: string;
  desired: unknown;
  observed: unknown;
}

/** A desired change the kind cannot apply in place: the manifest path (`spec.body.flavor`) and why, for the refusal. */
export interface FixedField {
  path: string;
  /** e.g. "a node pool's flavor cannot change in place" (the caller adds how to replace it). */
  reason: string;
}

/** One field an update changes, as a plan shows it, with what applying it does ("restarts the notebook"). */
export interface PlannedChange extends FieldDiff {
  effect?: string;
}

/**
 * The next step of an update, decided from a fresh observation. Level-triggered: each step looks before it
 * acts, so a crash or a lost answer between steps only repeats a look, never a change.
 */
export type UpdateStep =
  /** What Huawei holds matches the desired spec and the resource is steady: the update is done. */
  | { status: 'converged'; message?: string }
  /** Huawei is moving (stopping, starting, scaling): look again later. */
  | { status: 'waiting'; message: string }
  /** One call was sent (an update, a stop, a start): look again later. */
  | { status: 'sent'; message: string }
  /** It cannot converge from here (e.g. the resource failed): the update ends Failed. */
  | { status: 'failed'; reason: string; message: string };

/**
 * One thing a preflight looked at before a create or an update: whether the flavor, image, quota or edge
 * node the manifest names is there and free now, so that a create does not fail minutes after it was sent.
 */
export interface PreflightCheck {
  /** e.g. 'flavor', 'image', 'evs-size', 'pool-quota', 'pool-flavor', 'ief-node' */
  check: string;
  /** 'unknown' when Huawei could not answer (5xx, throttled, timed out, unreachable): never a reason to refuse. */
  status: 'passed' | 'failed' | 'unknown';
  /** Manifest path the check is about, e.g. 'spec.body.flavor' */
  path?: string;
  /** Huawei's own words where it gave them: "flavor modelarts.vm.gpu.t4 is sold out" */
  message: string;
}

/** What a preflight is for. */
export interface PreflightContext {
  operation: 'create' | 'update';
  /** For an update, the spec being replaced: only what grows is checked. */
  current?: ResourceSpec;
  /** Aborting it turns the look-ups still unanswered into 'unknown' checks; unset, each look-up has its own bound. */
  signal?: AbortSignal;
}

/** How long each step may take, and how often a resource being created is looked at. */
interface KindTiming {
  /** From the accepted create to a terminal status; spec.timeoutMinutes overrides it. */
  timeoutMinutes: number;
  /** From the first create intent; past it, retries stop and the resource fails. */
  dispatchDeadlineMinutes: number;
  /** First poll delay and the cap the interval grows to, in seconds (before POLL_BACKOFF_SCALE). */
  pollFirstSeconds: number;
  pollMaxSeconds: number;
  /** From the accepted update (or delete) to the resource steady at the new spec (or gone). */
  updateTimeoutMinutes: number;
  deleteTimeoutMinutes: number;
}

export interface KindAdapter<K extends string = string, M extends z.ZodType = z.ZodType> {
  readonly kind: K;
  /** What one resource of the kind is, e.g. "a ModelArts notebook instance". */
  readonly summary: string;
  readonly service: HuaweiService;
  /** The whole manifest (apiVersion, kind, metadata, spec), validated exactly as Huawei's API reference. */
  readonly manifest: M;
  readonly timing: KindTiming;
  /**
   * Whether Huawei refuses a second resource with the same name. When it does, a same-named resource that
   * hwc-provisioner did not create makes a create fail, and a plan says so; when names may repeat
   * (notebooks), it does not matter.
   */
  readonly uniqueNames: boolean;
  /** Advice about a valid manifest as submitted (e.g. a name that is legal but probably a slip): paths within it. */
  warnings(submitted: unknown): { path: (string | number)[]; message: string }[];
  /** The other managed resource this one must wait for and is created in, if its spec names one. */
  reference(spec: ResourceSpec): Reference | undefined;
  /** The part of the spec that decides "the same resource": body and targeting, as compared and hashed. */
  desired(spec: ResourceSpec): Record<string, unknown>;
  /** Where the calls for a resource go; `referenceId` is the Huawei id its reference resolved to. */
  target(resource: AdapterResource, referenceId?: string): HuaweiTarget;
  /** The name Huawei lists the resource under, which a look-up searches for. */
  huaweiName(spec: ResourceSpec): string;
  /** Resources Huawei lists under that name (exact matches only); each may or may not be ours. */
  find(cloud: HuaweiTransport, target: HuaweiTarget, name: string): Promise<unknown[]>;
  /** The Huawei id of a listed resource when it carries this resource's ownership mark, else undefined. */
  ownedId(found: unknown, resource: AdapterResource): string | undefined;
  /** Sends the create once, with the ownership mark in the body; returns Huawei's id for the new resource. */
  create(cloud: HuaweiTransport, resource: AdapterResource, target: HuaweiTarget, referenceId?: string): Promise<{ id: string }>;
  /** The kind's status semantics applied to what Huawei returned for it (a show or a list item), with no further call. */
  statusOf(answer: unknown): Observation;
  /** Reads the resource and applies the kind's status semantics. Throws Huawei's error (not found included). */
  observe(cloud: HuaweiTransport, target: HuaweiTarget, id: string): Promise<Observation>;
  /** Differences between the desired spec and an observation, over the keys the desired spec holds. */
  compare(spec: ResourceSpec, observed: unknown): FieldDiff[];
  /** The fields a change from `current` to `next` (both whole specs) touches that cannot change in place. */
  fixedChanges(current: ResourceSpec, next: ResourceSpec): FixedField[];
  /** Every field a change from `current` to `next` touches, with its effect, for plans and events. */
  changes(current: ResourceSpec, next: ResourceSpec): PlannedChange[];
  /**
   * One step toward `resource.spec` for the resource Huawei holds as `observation` (just read): sends at most
   * one call. Only called for a change without fixed fields.
   */
  update(
    cloud: HuaweiTransport,
    resource: AdapterResource,
    target: HuaweiTarget,
    id: string,
    observation: Observation,
  ): Promise<UpdateStep>;
  /** Removes a resource; a resource already gone counts as removed. */
  delete(cloud: HuaweiTransport, target: HuaweiTarget, id: string): Promise<void>;
  /**
   * Read-only look-ups of what the create (or the growth an update asks for) needs from Huawei: flavors, images,
   * quotas, edge nodes. Never throws for Huawei's errors: each check that Huawei could not answer is 'unknown'.
   */
  preflight(cloud: HuaweiTransport, resource: AdapterResource, target: HuaweiTarget, context: PreflightContext): Promise<PreflightCheck[]>;
}
