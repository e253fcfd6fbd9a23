/** Deterministic state machines: each resource's status is a pure function of the time elapsed since its create (or delete). */
import { arr, int, obj, str } from './json';
import type { SimFailure, SimPower, SimResource, SimScaling } from './state';

type Outcome = 'in_progress' | 'succeeded' | 'failed' | 'deleting' | 'deleted';

/** Share of the create duration elapsed; a zero duration means "already done". */
function elapsedShare(r: SimResource, now: number): number {
  if (r.durationMs <= 0) return Number.POSITIVE_INFINITY;
  return Math.max(0, now - (r.restartedAt ?? r.createdAt)) / r.durationMs;
}

export function isDeleting(r: SimResource, now: number): boolean {
  return r.deletedAt !== undefined && now >= r.deletedAt;
}

/* ---------- Notebook: INIT → CREATING (four action_progress steps) → STARTING → RUNNING ---------- */

type StepStatus = 'WAITING' | 'PROCESSING' | 'FAILED' | 'COMPLETED';
export const NOTEBOOK_STEPS = ['prepare storage', 'prepare compute resource', 'configure network', 'initialize instance'] as const;

const INIT_END = 0.1;
const STEP_SPAN = 0.15;
const CREATING_END = INIT_END + STEP_SPAN * NOTEBOOK_STEPS.length;

/** The step a failure belongs to, so the FAILED step in action_progress points at the cause. */
function failingStep(failure: SimFailure): number {
  const p = failure.path;
  if (p.startsWith('volume') || p.startsWith('data_volumes')) return 1;
  if (p.startsWith('flavor') || p.startsWith('custom_spec') || p.startsWith('pool_id') || p.startsWith('affinity')) return 2;
  if (p.startsWith('user_vpc') || p.startsWith('endpoints')) return 3;
  return 4;
}

function notebookFailReason(failure: SimFailure, step: number): string {
  if (failure.path.startsWith('image')) return `PullImageFailed: image ${failure.value} could not be pulled (simulated failure)`;
  if (step === 2) return `CreateNotebookFailed: no capacity for ${failure.path}=${failure.value} (simulated failure)`;
  if (step === 1) return `FailedAttachVolume: storage ${failure.path}=${failure.value} could not be attached (simulated failure)`;
  return `CreateNotebookFailed: instance initialization failed because ${failure.path}=${failure.value} (simulated failure)`;
}

export interface NotebookProgress {
  status: string;
  steps: StepStatus[];
  failReason: string;
}

export function notebookProgress(r: SimResource, now: number): NotebookProgress {
  const f = elapsedShare(r, now);
  const stepsAt = (current: number, currentStatus: StepStatus): StepStatus[] =>
    NOTEBOOK_STEPS.map((_, i) => (i + 1 < current ? 'COMPLETED' : i + 1 === current ? currentStatus : 'WAITING'));
  let progress: NotebookProgress;
  const failStep = r.failure ? failingStep(r.failure) : 0;
  if (r.failure && f >= INIT_END + STEP_SPAN * failStep) {
    progress = { status: 'CREATE_FAILED', steps: stepsAt(failStep, 'FAILED'), failReason: notebookFailReason(r.failure, failStep) };
  } else if (f < INIT_END) {
    progress = { status: 'INIT', steps: stepsAt(0, 'WAITING'), failReason: '' };
  } else if (f < CREATING_END) {
    const current = Math.min(NOTEBOOK_STEPS.length, Math.floor((f - INIT_END) / STEP_SPAN) + 1);
    progress = { status: 'CREATING', steps: stepsAt(current, 'PROCESSING'), failReason: '' };
  } else {
    progress = { status: f < 1 ? 'STARTING' : 'RUNNING', steps: stepsAt(NOTEBOOK_STEPS.length + 1, 'COMPLETED'), failReason: '' };
  }
  if (progress.status === 'RUNNING' && r.power) progress.status = powerStatus(r.power, now);
  if (isDeleting(r, now)) progress.status = 'DELETING';
  return progress;
}

function powerStatus(power: SimPower, now: number): string {
  const done = now >= power.at + power.durationMs;
  if (power.action === 'stop') return done ? 'STOPPED' : 'STOPPING';
  return done ? 'RUNNING' : 'STARTING';
}

/* ---------- Pools and node pools: nodes move from creating to available (or abnormal) ---------- */

interface FlavorSpec {
  flavor: string;
  count: number;
  maxCount?: number;
  nodePool?: string;
}

export interface FlavorCounts extends FlavorSpec {
  creating: number;
  available: number;
  abnormal: number;
  deleting: number;
}

function toFlavorSpec(value: unknown): FlavorSpec {
  const o = obj(value) ?? {};
  const spec: FlavorSpec = { flavor: str(o.flavor) ?? '', count: int(o.count) ?? 0 };
  const maxCount = int(o.maxCount);
  if (maxCount !== undefined) spec.maxCount = maxCount;
  const nodePool = str(o.nodePool);
  if (nodePool !== undefined) spec.nodePool = nodePool;
  return spec;
}

function poolFlavors(r: SimResource): FlavorSpec[] {
  return (arr(obj(r.body.spec)?.resources) ?? []).map(toFlavorSpec);
}

/** The documented body has one `spec.resources` object; an array is accepted too. */
function nodePoolFlavors(r: SimResource): FlavorSpec[] {
  const resources = obj(r.body.spec)?.resources;
  return (Array.isArray(resources) ? resources : [resources]).map(toFlavorSpec);
}

/** The node counts a pool or node pool's body asks for, per flavor entry. */
export function requestedFlavors(r: SimResource): FlavorSpec[] {
  return r.kind === 'NodePool' ? nodePoolFlavors(r) : poolFlavors(r);
}

const flavorKey = (spec: FlavorSpec) => `${spec.flavor}\u0000${spec.nodePool ?? ''}`;

/**
 * After a count change: the nodes both counts share stay available, added ones become ready one by one, and
 * removed ones (from a lower count or from an entry the patch dropped) are listed as deleting until it ends.
 */
function scaledCounts(r: SimResource, scaling: SimScaling, flavors: FlavorSpec[], now: number, timing: NodeTiming): FlavorCounts[] {
  const share = scaling.durationMs <= 0 ? Number.POSITIVE_INFINITY : Math.max(0, now - scaling.at) / scaling.durationMs;
  const deleting = isDeleting(r, now);
  const before = new Map(scaling.previous.map((p) => [flavorKey(p), p.count]));
  const countsFor = (spec: FlavorSpec, previous: number): FlavorCounts => {
    const counts: FlavorCounts = { ...spec, creating: 0, available: 0, abnormal: 0, deleting: 0 };
    if (deleting) {
      counts.deleting = spec.count;
      return counts;
    }
    const kept = Math.min(previous, spec.count);
    const added = spec.count - kept;
    counts.available = kept;
    for (let i = 0; i < added; i++) {
      if (share >= timing.setup + ((1 - timing.setup) * (i + 1)) / added) counts.available++;
      else counts.creating++;
    }
    if (previous > spec.count && share < 1) counts.deleting = previous - spec.count;
    return counts;
  };
  const current = flavors.map((spec) => {
    const previous = before.get(flavorKey(spec)) ?? 0;
    before.delete(flavorKey(spec));
    return countsFor(spec, previous);
  });
  const dropped = scaling.previous
    .filter((p) => before.has(flavorKey(p)))
    .map((p) => countsFor({ ...p, count: 0 }, p.count))
    .filter((c) => c.deleting > 0);
  return [...current, ...dropped];
}

interface NodeTiming {
  /** Share of the duration before the first node can be ready (ordering, scheduling). */
  setup: number;
  /** Share at which a failing resource gives up; nodes not ready by then become abnormal. */
  failAt: number;
}

/** Nodes become ready one by one over the rest of the duration, the last one exactly at 100 %. */
function nodeCounts(r: SimResource, flavors: FlavorSpec[], now: number, timing: NodeTiming): FlavorCounts[] {
  if (r.scaling) return scaledCounts(r, r.scaling, flavors, now, timing);
  const f = elapsedShare(r, now);
  const total = flavors.reduce((n, s) => n + Math.max(0, s.count), 0);
  const deleting = isDeleting(r, now);
  const failed = r.failure !== undefined && f >= timing.failAt;
  let index = 0;
  return flavors.map((spec) => {
    const counts: FlavorCounts = { ...spec, creating: 0, available: 0, abnormal: 0, deleting: 0 };
    for (let i = 0; i < Math.max(0, spec.count); i++, index++) {
      const readyAt = timing.setup + ((1 - timing.setup) * (index + 1)) / total;
      if (deleting) counts.deleting++;
      else if (failed && readyAt > timing.failAt) counts.abnormal++;
      else if (f >= readyAt) counts.available++;
      else counts.creating++;
    }
    return counts;
  });
}

const POOL_TIMING: NodeTiming = { setup: 0.4, failAt: 0.6 };
const NODE_POOL_TIMING: NodeTiming = { setup: 0.3, failAt: 0.6 };
/** A yearly/monthly pool waits for its order to be paid before nodes are ordered. */
const PREPAID_WAITING_END = 0.2;

export interface PoolProgress {
  phase: string;
  message: string;
  flavors: FlavorCounts[];
}

export function poolProgress(r: SimResource, now: number): PoolProgress {
  const flavors = nodeCounts(r, poolFlavors(r), now, POOL_TIMING);
  const f = elapsedShare(r, now);
  const abnormal = flavors.reduce((n, c) => n + c.abnormal, 0);
  const prepaid = str(obj(obj(r.body.metadata)?.annotations)?.['os.modelarts/billing.mode']) === '1';
  if (isDeleting(r, now)) return { phase: 'Deleting', message: '', flavors };
  if (r.failure && f >= POOL_TIMING.failAt) {
    const message = `${abnormal} node(s) could not be created: ${r.failure.path}=${r.failure.value} (simulated failure)`;
    return { phase: 'Abnormal', message, flavors };
  }
  if (f >= 1) return { phase: 'Running', message: '', flavors };
  if (prepaid && f < PREPAID_WAITING_END) return { phase: 'Waiting', message: 'the order has not been paid yet', flavors };
  return { phase: 'Creating', message: '', flavors };
}

export function nodePoolProgress(r: SimResource, now: number): FlavorCounts[] {
  return nodeCounts(r, nodePoolFlavors(r), now, NODE_POOL_TIMING);
}

/** There is no phase on a node pool; this summary is the simulator's, for /__sim/resources only. */
function nodePoolSummary(counts: FlavorCounts[]): 'Creating' | 'Available' | 'Abnormal' | 'Deleting' {
  const sum = (k: 'creating' | 'available' | 'abnormal' | 'deleting') => counts.reduce((n, c) => n + c[k], 0);
  if (sum('deleting') > 0) return 'Deleting';
  if (sum('abnormal') > 0) return 'Abnormal';
  if (sum('creating') > 0) return 'Creating';
  return 'Available';
}

/* ---------- IEF deployment: pods PENDING → RUNNING; ready_replicas rises to replicas ---------- */

const POD_SETUP = 0.3;
const POD_FAIL_AT = 0.5;

export interface PodProgress {
  state: string;
  reason: string;
  message: string;
}

export function podProgress(r: SimResource, now: number): PodProgress[] {
  const pods = r.pods ?? [];
  const f = elapsedShare(r, now);
  const deleting = isDeleting(r, now);
  const failed = r.failure !== undefined && f >= POD_FAIL_AT;
  const imageFailure = r.failure !== undefined && /(^|\.)image_url$/.test(r.failure.path);
  return pods.map((_, i) => {
    const runningAt = POD_SETUP + ((1 - POD_SETUP) * (i + 1)) / pods.length;
    if (deleting) return { state: 'TERMINATING', reason: '', message: '' };
    if (failed && runningAt > POD_FAIL_AT) {
      return imageFailure
        ? { state: 'CREATE_FAIL', reason: 'ImagePullBackOff', message: `pulling image ${r.failure!.value} failed (simulated failure)` }
        : {
            state: 'FAILED',
            reason: 'CrashLoopBackOff',
            message: `container exits at start: ${r.failure!.path}=${r.failure!.value} (simulated failure)`,
          };
    }
    if (f >= runningAt) return { state: 'RUNNING', reason: '', message: '' };
    return { state: 'PENDING', reason: 'ContainerCreating', message: '' };
  });
}

/* ---------- One status line per resource for /__sim/resources ---------- */

export interface Summary {
  status: string;
  outcome: Outcome;
  failReason?: string;
}

export function summarize(r: SimResource, now: number, gone: boolean): Summary {
  if (gone) return { status: 'DELETED', outcome: 'deleted' };
  const deleting = isDeleting(r, now);
  switch (r.kind) {
    case 'Notebook': {
      const p = notebookProgress(r, now);
      if (deleting) return { status: p.status, outcome: 'deleting' };
      // Stopped or starting again still means the create succeeded; `status` tells the rest.
      if (p.status === 'RUNNING' || r.power) return { status: p.status, outcome: 'succeeded' };
      if (p.status === 'CREATE_FAILED') return { status: p.status, outcome: 'failed', failReason: p.failReason };
      return { status: p.status, outcome: 'in_progress' };
    }
    case 'ResourcePool': {
      const p = poolProgress(r, now);
      if (deleting) return { status: p.phase, outcome: 'deleting' };
      if (p.phase === 'Running') return { status: p.phase, outcome: 'succeeded' };
      if (p.phase === 'Abnormal') return { status: p.phase, outcome: 'failed', failReason: p.message };
      return { status: p.phase, outcome: 'in_progress' };
    }
    case 'NodePool': {
      const s = nodePoolSummary(nodePoolProgress(r, now));
      if (deleting) return { status: s, outcome: 'deleting' };
      if (s === 'Available') return { status: s, outcome: 'succeeded' };
      if (s === 'Abnormal') return { status: s, outcome: 'failed', failReason: `${r.failure?.path}=${r.failure?.value}` };
      return { status: s, outcome: 'in_progress' };
    }
    case 'EdgeDeployment': {
      const pods = podProgress(r, now);
      if (deleting) return { status: 'PENDING_DELETE', outcome: 'deleting' };
      const bad = pods.find((p) => p.state === 'CREATE_FAIL' || p.state === 'FAILED');
      if (bad) return { status: bad.state, outcome: 'failed', failReason: `${bad.reason}: ${bad.message}` };
      if (pods.every((p) => p.state === 'RUNNING')) return { status: 'RUNNING', outcome: 'succeeded' };
      return { status: 'PENDING', outcome: 'in_progress' };
    }
  }
}
