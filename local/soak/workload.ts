/**
 * The soak's requests: a seeded mix of the four kinds, with dependency chains (pool → node pool and
 * notebook), cross-request dependencies, resources the simulator fails, re-requests of resources that
 * already exist (Unchanged) and re-sent submissions (same request id). Then day 2: updates in place,
 * replacements (updatePolicy: Recreate), deletes and orphans of resources created earlier, each sent once the
 * request it follows has completed. Every resource carries the outcome it should reach, so the soak can tell a
 * fault the product absorbed from one it did not.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import type { Kind } from '../../shared/kinds/registry';
import { mulberry32 } from '../huaweicloud-simulator/faults';
import { FAIL_MARKER } from '../huaweicloud-simulator/defaults';

export type ExpectedState = 'Succeeded' | 'Unchanged' | 'Failed' | 'Deleted' | 'Orphaned';

export type Day2Operation = 'update' | 'recreate' | 'delete' | 'orphan';

/** A field a day-2 request sets, as the simulator's body of the resource should show it afterwards. */
export interface PlannedChange {
  /** For the report: the manifest path. */
  field: string;
  expected: unknown;
  /** Reads the field from the simulator's current body of the resource. */
  observe: (body: Doc) => unknown;
  /** The simulator holds more (a notebook's description ends with the ownership mark): compare the start only. */
  prefix?: boolean;
  /** A notebook flavor change: stop, update, start (one restart). */
  restarts?: boolean;
}

export interface PlannedResource {
  kind: Kind;
  /** metadata.name */
  name: string;
  /** The name Huawei lists it under (what the simulator ledger shows). */
  huaweiName: string;
  expected: ExpectedState;
  /** Expected reason when Failed. */
  expectedReason?: string;
  /** Whether a create should reach the simulator (false for dependents of a failed pool and for Unchanged). */
  creates: boolean;
  /** Day 2: what this request asks for the resource, and for an update or a replacement the fields it changes. */
  operation?: Day2Operation;
  changes?: PlannedChange[];
}

export interface PlannedRequest {
  /** Index in submission order. */
  index: number;
  shape: Shape;
  yaml: string;
  resources: PlannedResource[];
  /** Sent a second time with the same request id, which must change nothing. */
  resubmit: boolean;
  /** Day 2: sent only once the request of this index has completed, and `delayShare` of the submit window after it was. */
  after?: number;
  delayShare?: number;
  /** Day 2: a delete or orphan request names the resources; it has no manifest. */
  removals?: { kind: Kind; name: string; operation: 'delete' | 'orphan' }[];
}

export type Shape =
  | 'chain'
  | 'pool-two-nodepools'
  | 'notebook'
  | 'edge'
  | 'cross-request-nodepool'
  | 'failing-chain'
  | 'failing-notebook'
  | 'repeat'
  | 'day2-update'
  | 'day2-recreate'
  | 'day2-delete'
  | 'day2-orphan';

type Doc = Record<string, any>;

const EXAMPLE_PATH = fileURLToPath(new URL('../../examples/all-kinds.yaml', import.meta.url));
let templates: Record<Kind, Doc> | undefined;

function template(kind: Kind): Doc {
  templates ??= Object.fromEntries(
    parseAllDocuments(readFileSync(EXAMPLE_PATH, 'utf8')).map((d) => {
      const doc = d.toJS() as Doc;
      return [doc.kind, doc];
    }),
  ) as Record<Kind, Doc>;
  return structuredClone(templates[kind]);
}

function pool(id: string, fail = false): { doc: Doc; resource: PlannedResource } {
  const doc = template('ResourcePool');
  doc.metadata.name = `pool-${id}`;
  doc.spec.body.metadata.labels['os.modelarts/name'] = `pool-${id}`;
  if (fail) doc.spec.body.metadata.annotations['os.modelarts/description'] = `${FAIL_MARKER} on purpose`;
  return {
    doc,
    resource: {
      kind: 'ResourcePool',
      name: `pool-${id}`,
      huaweiName: `pool-${id}`,
      expected: fail ? 'Failed' : 'Succeeded',
      creates: true,
    },
  };
}

function nodePool(id: string, poolRef: string, poolFails = false): { doc: Doc; resource: PlannedResource } {
  const doc = template('NodePool');
  doc.metadata.name = `np-${id}`;
  doc.spec.poolRef = poolRef;
  doc.spec.body.metadata.name = `np-${id}`;
  doc.spec.body.spec.resources.nodePool = `np-${id}`;
  return {
    doc,
    resource: {
      kind: 'NodePool',
      name: `np-${id}`,
      huaweiName: `np-${id}`,
      expected: poolFails ? 'Failed' : 'Succeeded',
      ...(poolFails ? { expectedReason: 'DependencyFailed' } : {}),
      creates: !poolFails,
    },
  };
}

function notebook(
  id: string,
  opts: { poolRef?: string; poolFails?: boolean; fail?: boolean } = {},
): { doc: Doc; resource: PlannedResource } {
  const doc = template('Notebook');
  doc.metadata.name = `nb-${id}`;
  doc.spec.body.name = `nb_${id}`;
  if (opts.poolRef) doc.spec.poolRef = opts.poolRef;
  else delete doc.spec.poolRef;
  if (opts.fail) doc.spec.body.description = `${FAIL_MARKER} on purpose`;
  const failed = opts.fail || opts.poolFails;
  return {
    doc,
    resource: {
      kind: 'Notebook',
      name: `nb-${id}`,
      huaweiName: `nb_${id}`,
      expected: failed ? 'Failed' : 'Succeeded',
      ...(opts.poolFails ? { expectedReason: 'DependencyFailed' } : {}),
      creates: !opts.poolFails,
    },
  };
}

function edge(id: string): { doc: Doc; resource: PlannedResource } {
  const doc = template('EdgeDeployment');
  doc.metadata.name = `app-${id}`;
  doc.spec.body.name = `app-${id}`;
  return { doc, resource: { kind: 'EdgeDeployment', name: `app-${id}`, huaweiName: `app-${id}`, expected: 'Succeeded', creates: true } };
}

const SHAPES: [Shape, number][] = [
  ['chain', 0.4],
  ['pool-two-nodepools', 0.08],
  ['notebook', 0.12],
  ['edge', 0.14],
  ['cross-request-nodepool', 0.08],
  ['failing-chain', 0.05],
  ['failing-notebook', 0.05],
  ['repeat', 0.08],
];

/**
 * Plans requests until exactly `total` resources are requested. Names are unique per request index
 * (zero-padded, so no name is a substring of another and the list APIs' fuzzy name filter stays exact).
 */
export function planWorkload(total: number, seed: number, day2Share = 0): PlannedRequest[] {
  const random = mulberry32(seed ^ 0x5eed);
  const pick = (): Shape => {
    let u = random();
    for (const [shape, weight] of SHAPES) if ((u -= weight) < 0) return shape;
    return 'edge';
  };
  const requests: PlannedRequest[] = [];
  const goodPools: string[] = [];
  /** Day-2 candidates: created by a request expected to succeed, per request index. */
  const created: { index: number; shape: Shape; parts: { doc: Doc; resource: PlannedResource }[] }[] = [];
  const repeated = new Set<string>();
  const poolsWithForeignNodePools = new Set<string>();
  /** Single resources that should exist by the time they are requested again. */
  const repeatable: { doc: Doc; resource: PlannedResource }[] = [];
  let count = 0;
  for (let index = 0; count < total; index++) {
    const id = `r${String(index).padStart(4, '0')}`;
    const left = total - count;
    let shape = pick();
    const sizes: Record<Shape, number> = {
      chain: 4,
      'pool-two-nodepools': 3,
      'failing-chain': 4,
      notebook: 1,
      edge: 1,
      'cross-request-nodepool': 1,
      'failing-notebook': 1,
      repeat: 1,
      'day2-update': 1,
      'day2-recreate': 1,
      'day2-delete': 1,
      'day2-orphan': 1,
    };
    if (sizes[shape] > left) shape = 'edge';
    if (shape === 'cross-request-nodepool' && goodPools.length === 0) shape = 'notebook';
    if (shape === 'repeat' && repeatable.length === 0) shape = 'edge';
    const parts: { doc: Doc; resource: PlannedResource }[] = [];
    switch (shape) {
      case 'chain': {
        const p = pool(id);
        parts.push(p, nodePool(id, p.resource.name), notebook(id, { poolRef: p.resource.name }), edge(id));
        goodPools.push(p.resource.name);
        break;
      }
      case 'pool-two-nodepools': {
        const p = pool(id);
        parts.push(p, nodePool(`${id}a`, p.resource.name), nodePool(`${id}b`, p.resource.name));
        goodPools.push(p.resource.name);
        break;
      }
      case 'failing-chain': {
        const p = pool(id, true);
        parts.push(p, nodePool(id, p.resource.name, true), notebook(id, { poolRef: p.resource.name, poolFails: true }), edge(id));
        break;
      }
      case 'notebook':
        parts.push(notebook(id));
        repeatable.push(parts[0]!);
        break;
      case 'edge':
        parts.push(edge(id));
        repeatable.push(parts[0]!);
        break;
      case 'cross-request-nodepool': {
        // A pool of an earlier request: resolved through its managed resource once that pool is Running.
        const target = goodPools[Math.floor(random() * goodPools.length)]!;
        parts.push(nodePool(id, target));
        poolsWithForeignNodePools.add(target);
        break;
      }
      case 'failing-notebook':
        parts.push(notebook(id, { fail: true }));
        break;
      case 'repeat': {
        // The same manifest in a new request: Unchanged once the first is created (it waits while in flight).
        const earlier = repeatable[Math.floor(random() * repeatable.length)]!;
        repeated.add(`${earlier.resource.kind}/${earlier.resource.name}`);
        parts.push({ doc: earlier.doc, resource: { ...earlier.resource, expected: 'Unchanged', creates: false } });
        break;
      }
    }
    const resources = parts.map((p) => p.resource);
    requests.push({
      index,
      shape,
      yaml: parts.map((p) => stringify(p.doc)).join('---\n'),
      resources,
      resubmit: random() < 0.05,
    });
    count += resources.length;
    if (shape === 'chain' || shape === 'pool-two-nodepools' || shape === 'notebook' || shape === 'edge')
      created.push({ index, shape, parts });
  }
  if (day2Share > 0) planDay2(requests, { random, created, repeated, poolsWithForeignNodePools, share: day2Share });
  return requests;
}

interface Day2Context {
  random: () => number;
  created: { index: number; shape: Shape; parts: { doc: Doc; resource: PlannedResource }[] }[];
  /** Resources a `repeat` request asks for again: left alone (a repeat after a delete would create them anew). */
  repeated: Set<string>;
  /** Pools other requests' node pools live in: not deleted (the product refuses, naming them). */
  poolsWithForeignNodePools: Set<string>;
  share: number;
}

type StepName =
  | 'description'
  | 'notebookFlavor'
  | 'edgeReplicas'
  | 'edgeTags'
  | 'poolCount'
  | 'nodePoolCount'
  | 'nodePoolFlavor'
  | 'delete'
  | 'orphan';

/** One day-2 step on some resources of a created request: changes their manifests, says what the request asks. */
type Step = (docs: Doc[], tag: string) => { shape: Shape; changes?: PlannedChange[][]; removal?: 'delete' | 'orphan' };

const description: Step = (docs, tag) => {
  for (const doc of docs) doc.spec.body.description = `soak ${tag}`;
  return {
    shape: 'day2-update',
    changes: docs.map(() => [{ field: 'spec.body.description', expected: `soak ${tag}`, observe: (b) => b.description, prefix: true }]),
  };
};

const notebookFlavor: Step = ([doc]) => {
  const flavor = doc!.spec.body.flavor === 'modelarts.vm.cpu.8u' ? 'modelarts.vm.cpu.2u' : 'modelarts.vm.cpu.8u';
  doc!.spec.body.flavor = flavor;
  return { shape: 'day2-update', changes: [[{ field: 'spec.body.flavor', expected: flavor, observe: (b) => b.flavor, restarts: true }]] };
};

const edgeReplicas: Step = ([doc]) => {
  const replicas = Number(doc!.spec.body.deployment.replicas) + 1;
  doc!.spec.body.deployment.replicas = replicas;
  return {
    shape: 'day2-update',
    changes: [[{ field: 'spec.body.deployment.replicas', expected: replicas, observe: (b) => b.deployment?.replicas }]],
  };
};

/** IEF cannot change a deployment's tags: replaced (deleted, then created again under the same name). */
const edgeTags: Step = ([doc], tag) => {
  doc!.spec.body.tags = [{ key: 'app', value: `soak-${tag}` }];
  doc!.spec.updatePolicy = 'Recreate';
  const observe = (b: Doc) => (b.tags as Doc[] | undefined)?.find((t) => t.key === 'app')?.value;
  return { shape: 'day2-recreate', changes: [[{ field: 'spec.body.tags', expected: `soak-${tag}`, observe }]] };
};

const poolCount: Step = ([doc]) => {
  const entry = doc!.spec.body.spec.resources[0];
  entry.count = Number(entry.count) + 1;
  const flavor = entry.flavor;
  const observe = (b: Doc) => (b.spec?.resources as Doc[] | undefined)?.find((r) => r.flavor === flavor && !r.nodePool)?.count;
  return { shape: 'day2-update', changes: [[{ field: 'spec.body.spec.resources[0].count', expected: entry.count, observe }]] };
};

const nodePoolCount: Step = ([doc]) => {
  const count = Number(doc!.spec.body.spec.resources.count) + 1;
  doc!.spec.body.spec.resources.count = count;
  return {
    shape: 'day2-update',
    changes: [[{ field: 'spec.body.spec.resources.count', expected: count, observe: (b) => b.spec?.resources?.count }]],
  };
};

/** A node pool's flavor cannot change in place: replaced. */
const nodePoolFlavor: Step = ([doc]) => {
  const flavor = doc!.spec.body.spec.resources.flavor === 'modelarts.vm.8u32g.dcc' ? 'modelarts.vm.2u4g.dcc' : 'modelarts.vm.8u32g.dcc';
  doc!.spec.body.spec.resources.flavor = flavor;
  doc!.spec.updatePolicy = 'Recreate';
  return {
    shape: 'day2-recreate',
    changes: [[{ field: 'spec.body.spec.resources.flavor', expected: flavor, observe: (b) => b.spec?.resources?.flavor }]],
  };
};

const STEPS: Record<StepName, Step> = {
  description,
  notebookFlavor,
  edgeReplicas,
  edgeTags,
  poolCount,
  nodePoolCount,
  nodePoolFlavor,
  delete: () => ({ shape: 'day2-delete', removal: 'delete' }),
  orphan: () => ({ shape: 'day2-orphan', removal: 'orphan' }),
};

/**
 * Day-2 requests for a share of the resources created in the first 80% of the plan: one or two steps each, the
 * second sent once the first has completed. Each request's manifest is the resource's whole current one, changed.
 */
function planDay2(requests: PlannedRequest[], context: Day2Context): void {
  const { random } = context;
  const cutoff = Math.floor(requests.length * 0.8);
  const pickOne = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  const free = (r: PlannedResource) => !context.repeated.has(`${r.kind}/${r.name}`);
  let next = requests.length;
  for (const c of context.created) {
    if (c.index >= cutoff || random() >= context.share) continue;
    // Which resources, and the steps to take on them, in order.
    const byKind = (kind: Kind) => c.parts.filter((p) => p.resource.kind === kind);
    let targets: { doc: Doc; resource: PlannedResource }[];
    let steps: StepName[];
    switch (c.shape) {
      case 'notebook':
        if (!free(c.parts[0]!.resource)) continue;
        targets = c.parts;
        steps = [pickOne<StepName>(['description', 'notebookFlavor', 'delete', 'orphan'])];
        break;
      case 'edge':
        if (!free(c.parts[0]!.resource)) continue;
        targets = c.parts;
        steps = [pickOne<StepName>(['description', 'edgeReplicas', 'edgeTags', 'delete', 'orphan'])];
        break;
      case 'pool-two-nodepools':
        targets = [pickOne(byKind('NodePool'))];
        steps = [pickOne<StepName>(['nodePoolCount', 'nodePoolFlavor'])];
        break;
      case 'chain': {
        const u = random();
        const pool = byKind('ResourcePool')[0]!;
        if (u < 0.25) {
          targets = [pool];
          steps = ['poolCount'];
        } else if (u < 0.45) {
          targets = byKind('NodePool');
          steps = [pickOne<StepName>(['nodePoolCount', 'nodePoolFlavor'])];
        } else if (u < 0.65) {
          targets = byKind('EdgeDeployment');
          steps = [pickOne<StepName>(['edgeReplicas', 'description', 'edgeTags'])];
        } else if (u < 0.8) {
          targets = byKind('Notebook');
          steps = [pickOne<StepName>(['notebookFlavor', 'description'])];
        } else if (!context.poolsWithForeignNodePools.has(pool.resource.name)) {
          // The whole pool with what lives in it, in one request: dependents first.
          targets = [...byKind('NodePool'), ...byKind('Notebook'), pool];
          steps = ['delete'];
        } else {
          targets = byKind('NodePool');
          steps = ['nodePoolCount'];
        }
        break;
      }
      default:
        continue;
    }
    // Now and then a second step once the first has completed: a delete after a change (a pool: a second change).
    if (steps[0] !== 'delete' && steps[0] !== 'orphan' && random() < 0.35)
      steps.push(targets.some((t) => t.resource.kind === 'ResourcePool') ? 'poolCount' : 'delete');
    let after = c.index;
    const docs = targets.map((t) => t.doc);
    for (const name of steps) {
      const index = next++;
      const planned = STEPS[name](docs, `r${String(index).padStart(4, '0')}`);
      const resources: PlannedResource[] = targets.map((t, i) => ({
        ...t.resource,
        expected: planned.removal === 'delete' ? 'Deleted' : planned.removal === 'orphan' ? 'Orphaned' : 'Succeeded',
        creates: planned.shape === 'day2-recreate',
        operation: planned.removal ?? (planned.shape === 'day2-recreate' ? 'recreate' : 'update'),
        ...(planned.changes ? { changes: planned.changes[i] } : {}),
      }));
      requests.push({
        index,
        shape: planned.shape,
        yaml: planned.removal ? '' : docs.map((d) => stringify(d)).join('---\n'),
        resources,
        resubmit: random() < 0.05,
        after,
        delayShare: 0.02 + random() * 0.08,
        ...(planned.removal
          ? { removals: targets.map((t) => ({ kind: t.resource.kind, name: t.resource.name, operation: planned.removal! })) }
          : {}),
      });
      after = index;
    }
  }
}
