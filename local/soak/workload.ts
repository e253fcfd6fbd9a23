/**
 * The soak's requests: a seeded mix of the four kinds, with dependency chains (pool → node pool and
 * notebook), cross-request dependencies, resources the simulator fails, re-requests of resources that
 * already exist (Unchanged) and re-sent submissions (same request id). Every resource carries the
 * outcome it should reach, so the soak can tell a fault the product absorbed from one it did not.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import type { Kind } from '../../shared/kinds/registry';
import { mulberry32 } from '../huaweicloud-simulator/faults';
import { FAIL_MARKER } from '../huaweicloud-simulator/defaults';

export type ExpectedState = 'Succeeded' | 'Unchanged' | 'Failed';

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
}

export interface PlannedRequest {
  /** Index in submission order. */
  index: number;
  shape: Shape;
  yaml: string;
  resources: PlannedResource[];
  /** Sent a second time with the same request id, which must change nothing. */
  resubmit: boolean;
}

export type Shape =
  | 'chain'
  | 'pool-two-nodepools'
  | 'notebook'
  | 'edge'
  | 'cross-request-nodepool'
  | 'failing-chain'
  | 'failing-notebook'
  | 'repeat';

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
export function planWorkload(total: number, seed: number): PlannedRequest[] {
  const random = mulberry32(seed ^ 0x5eed);
  const pick = (): Shape => {
    let u = random();
    for (const [shape, weight] of SHAPES) if ((u -= weight) < 0) return shape;
    return 'edge';
  };
  const requests: PlannedRequest[] = [];
  const goodPools: string[] = [];
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
      case 'cross-request-nodepool':
        // A pool of an earlier request: resolved through its managed resource once that pool is Running.
        parts.push(nodePool(id, goodPools[Math.floor(random() * goodPools.length)]!));
        break;
      case 'failing-notebook':
        parts.push(notebook(id, { fail: true }));
        break;
      case 'repeat': {
        // The same manifest in a new request: Unchanged once the first is created (it waits while in flight).
        const earlier = repeatable[Math.floor(random() * repeatable.length)]!;
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
  }
  return requests;
}
