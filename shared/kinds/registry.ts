/** The kinds hwc-provisioner manages: one adapter each. Everything else learns the kinds from here. */
import * as z from 'zod';
import { builtOnFirstUse } from '../lazy';
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

type Adapters = (typeof ADAPTERS)[number];

/**
 * Each kind's manifest schema, by kind. Getters, so that looking one kind up builds only that kind's schemas
 * (see builtOnFirstUse): most functions import the registry without ever validating a manifest.
 */
export const MANIFEST_SCHEMAS = Object.defineProperties(
  {},
  Object.fromEntries(ADAPTERS.map((a) => [a.kind, { get: () => a.manifest, enumerable: true }])),
) as { readonly [A in Adapters as A['kind']]: A['manifest'] };

/** Every manifest, discriminated by kind: for the published JSON Schema. Builds every kind's schemas. */
export const manifestSchema = builtOnFirstUse(() =>
  z.discriminatedUnion('kind', ADAPTERS.map((a) => a.manifest) as unknown as [Adapters['manifest'], ...Adapters['manifest'][]]),
);
export type Manifest = z.infer<Adapters['manifest']>;
