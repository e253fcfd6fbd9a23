/**
 * What the simulated cloud offers before anything is created: flavors, images, edge nodes and groups, and the
 * pool quota, with switches for what is sold out or missing. The read routes in routes/catalog.ts serve it.
 */
import * as z from 'zod';
import { SIMULATED_REGION } from './defaults';
import { mergePatch, type JsonObject } from './json';

const NODE_STATES = ['UNCONNECTED', 'RUNNING', 'FAIL', 'STOPPED', 'UPGRADING', 'FREEZE'] as const;
type NodeState = (typeof NODE_STATES)[number];

/** The zones every resource flavor reports a phase for. */
export const SIMULATED_AZS = [`${SIMULATED_REGION}a`, `${SIMULATED_REGION}b`, `${SIMULATED_REGION}c`] as const;

interface ImageSettings {
  /** INIT, CREATING, CREATE_FAILED, ERROR, DELETED or ACTIVE (the default). */
  status?: string;
  /** X86_64 (the default) or AARCH64. */
  arch?: string;
}

export interface CatalogSettings {
  /** Only what is listed here exists. Off (open), any image, node or group asked for by id exists and is available. */
  strict: boolean;
  /** Flavor ids the two flavor lists (notebook and resource flavors) hold, besides those of resources the simulator holds. */
  flavors: string[];
  images: Record<string, ImageSettings>;
  /** Edge node id → state. */
  nodes: Record<string, NodeState>;
  /** Edge node group id → the ids of its nodes. */
  groups: Record<string, string[]>;
  /** A flavor without `azs` is sold out in every zone (a notebook flavor then shows `sold_out: true`). */
  soldOut: { flavor: string; azs?: string[] }[];
  /** Ids (of any catalog entry) that do not exist, whatever else says so. */
  missing: string[];
  quotas: { pool: { quota: number; used?: number } };
}

/**
 * Every flavor, image, node and group id that examples/, test/kinds/request-examples.ts, the local stack (the
 * soak workload) and the repository's tests create resources with, so that a preflight against the default
 * simulator passes for all of them. The `sim-fail` flavors are here too: they fail after a create, not before.
 */
const DEFAULT_FLAVORS = [
  'modelarts.vm.cpu.2u',
  'modelarts.vm.cpu.8u',
  'modelarts.vm.cpu.16u64g.d',
  'modelarts.vm.gpu.t4',
  'modelarts.vm.gpu.t4u8',
  'modelarts.vm.gpu.tnt004',
  'modelarts.vm.gpu.v100',
  'modelarts.vm.2u4g.dcc',
  'modelarts.vm.4u8g.dcc',
  'modelarts.vm.8u32g.dcc',
  'modelarts.pool.visual.xlarge',
  'modelarts.vm.cpu.sim-fail',
  'modelarts.vm.gpu.sim-fail',
  'modelarts.vm.sim-fail',
  'modelarts.vm.sim-fail.2u',
  'sim-fail-flavor',
];
const DEFAULT_IMAGES = ['e1a07296-22a8-4f05-8bc8-e936c8e54090'];
const DEFAULT_NODES = ['9ebd8efb-9fdd-44a1-abda-9cdbc287a867', '29d20c18-c20c-4a45-a087-42c766fc5d97'];
const DEFAULT_GROUPS = { 'c0ffee00-0000-4000-8000-000000000001': ['9ebd8efb-9fdd-44a1-abda-9cdbc287a867'] };

/** Generous, so that the local stack's soak never meets it unless a test asks for a smaller one. */
const DEFAULT_POOL_QUOTA = 1000;
const NETWORK_QUOTA = 15;

export function defaultCatalog(): CatalogSettings {
  return {
    strict: false,
    flavors: [...DEFAULT_FLAVORS],
    images: Object.fromEntries(DEFAULT_IMAGES.map((id) => [id, {}])),
    nodes: Object.fromEntries(DEFAULT_NODES.map((id) => [id, 'RUNNING' as const])),
    groups: structuredClone(DEFAULT_GROUPS),
    soldOut: [],
    missing: [],
    quotas: { pool: { quota: DEFAULT_POOL_QUOTA } },
  };
}

const id = z.string().min(1, { error: 'must be a non-empty id' });

/** A change to the catalog: objects merge key by key, arrays replace whole, `null` removes (RFC 7396). */
const CatalogPatchSchema = z.strictObject({
  strict: z.boolean().optional(),
  flavors: z.array(id).optional(),
  images: z
    .record(id, z.strictObject({ status: z.string().min(1).optional(), arch: z.enum(['X86_64', 'AARCH64']).optional() }).nullable())
    .optional(),
  nodes: z.record(id, z.enum(NODE_STATES).nullable()).optional(),
  groups: z.record(id, z.array(id).nullable()).optional(),
  soldOut: z.array(z.union([id, z.strictObject({ flavor: id, azs: z.array(id).min(1).optional() })])).optional(),
  missing: z.array(id).optional(),
  quotas: z
    .strictObject({
      pool: z
        .strictObject({
          quota: z.int().min(-1, { error: 'must be -1 (no limit) or more' }).optional(),
          // null: count the simulator's live pools again.
          used: z.int().min(0).nullable().optional(),
        })
        .optional(),
    })
    .optional(),
});
export type CatalogPatch = z.input<typeof CatalogPatchSchema>;

/** The catalog with `patch` applied, or why the patch is refused (each problem with its path). */
export function applyCatalogPatch(
  current: CatalogSettings,
  patch: unknown,
): { ok: true; value: CatalogSettings } | { ok: false; error: string } {
  const parsed = CatalogPatchSchema.safeParse(patch);
  if (!parsed.success) {
    return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') };
  }
  const { soldOut, ...rest } = parsed.data;
  const merged = mergePatch(current, rest) as CatalogSettings;
  if (soldOut) merged.soldOut = soldOut.map((entry) => (typeof entry === 'string' ? { flavor: entry } : entry));
  return { ok: true, value: merged };
}

/** Read-only questions about the catalog, given the flavors and pools the simulator holds right now. */
export class CatalogView {
  constructor(
    private readonly settings: CatalogSettings,
    private readonly held: { flavors: ReadonlySet<string>; livePools: number },
  ) {}

  private isMissing(value: string): boolean {
    return this.settings.missing.includes(value);
  }

  /**
   * The flavors a list shows. A list names no id, so it cannot be open the way a look-up by id is: it holds the
   * catalog's flavors and those of the resources the simulator holds (a pool being scaled keeps its flavor).
   */
  flavorIds(): string[] {
    return [...new Set([...this.settings.flavors, ...this.held.flavors])].filter((f) => !this.isMissing(f)).sort();
  }

  /** Each zone's phase for a flavor, `normal` or `soldout`. */
  phase(flavor: string): Record<string, 'normal' | 'soldout'> {
    const entries = this.settings.soldOut.filter((s) => s.flavor === flavor);
    const sold = new Set(entries.flatMap((s) => s.azs ?? SIMULATED_AZS));
    return Object.fromEntries(SIMULATED_AZS.map((az) => [az, sold.has(az) ? 'soldout' : 'normal']));
  }

  image(imageId: string): ImageSettings | undefined {
    if (this.isMissing(imageId)) return undefined;
    return this.settings.images[imageId] ?? (this.settings.strict ? undefined : {});
  }

  node(nodeId: string): NodeState | undefined {
    if (this.isMissing(nodeId)) return undefined;
    const state = this.settings.nodes[nodeId];
    if (state) return state;
    const grouped = Object.values(this.settings.groups).some((nodes) => nodes.includes(nodeId));
    return grouped || !this.settings.strict ? 'RUNNING' : undefined;
  }

  /** The node ids of a group; an open catalog makes up one running node for a group it does not list. */
  groupNodes(groupId: string): string[] | undefined {
    if (this.isMissing(groupId)) return undefined;
    const nodes = this.settings.groups[groupId];
    if (nodes) return nodes;
    return this.settings.strict ? undefined : [`${groupId}-node-1`];
  }

  poolQuota(): { quota: number; used: number } {
    const { quota, used } = this.settings.quotas.pool;
    return { quota, used: used ?? this.held.livePools };
  }
}

/** The simulated network quota: fixed, as no route creates networks. */
export const NETWORK_QUOTA_VIEW = { quota: NETWORK_QUOTA, used: 1 };

/** The settings as GET /__sim/catalog shows them: `used` is the number the quota API answers, `counted` whether it counts live pools. */
export function catalogJson(settings: CatalogSettings, view: CatalogView): JsonObject {
  const counted = settings.quotas.pool.used === undefined;
  return { ...structuredClone(settings), quotas: { pool: { ...view.poolQuota(), counted } } } as JsonObject;
}
