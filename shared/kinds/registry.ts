/** The kinds hwc-provisioner manages: one adapter each. Everything else learns the kinds from here. */
import * as z from 'zod';
import type { KindAdapter } from './adapter';
import { edgeDeployment } from './edge-deployment';
import { nodePool } from './node-pool';
import { notebook } from './notebook';
import { resourcePool } from './resource-pool';

const ADAPTERS = [notebook, resourcePool, nodePool, edgeDeployment] as const;

export type Kind = (typeof ADAPTERS)[number]['kind'];
export const KINDS = ADAPTERS.map((a) => a.kind) as unknown as readonly [Kind, ...Kind[]];

export function isKind(value: unknown): value is Kind {
  return typeof value === 'string' && (KINDS as readonly string[]).includes(value);
}

const BY_KIND = new Map<string, KindAdapter>(ADAPTERS.map((a) => [a.kind, a as unknown as KindAdapter]));

/** The adapter of a kind the caller has already checked (a stored record, a validated manifest). */
export function adapterOf(kind: string): KindAdapter {
  const adapter = BY_KIND.get(kind);
  if (!adapter) throw new Error(`no adapter for kind ${kind}`);
  return adapter;
}

/** Each kind's manifest schema, by kind. */
export const MANIFEST_SCHEMAS = Object.fromEntries(ADAPTERS.map((a) => [a.kind, a.manifest])) as {
  [A in (typeof ADAPTERS)[number] as A['kind']]: A['manifest'];
};

/** Every manifest, discriminated by kind: for types and the published JSON Schema. */
export const ManifestSchema = z.discriminatedUnion(
  'kind',
  ADAPTERS.map((a) => a.manifest) as unknown as [(typeof ADAPTERS)[number]['manifest'], ...(typeof ADAPTERS)[number]['manifest'][]],
);
export type Manifest = z.infer<(typeof ADAPTERS)[number]['manifest']>;
