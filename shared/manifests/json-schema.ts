/** The manifest language as JSON Schema (draft-07, which yaml-language-server reads). */
import * as z from 'zod';

import { KINDS, MANIFEST_SCHEMAS, manifestSchema, type Kind } from '../kinds/registry';

const SCHEMA_ID = 'https://hwc-provisioner.dev/schemas/manifest.schema.json';

/** JSON Schema of every manifest, or of one kind; `kind` is matched case-insensitively. */
export function manifestJsonSchema(kind?: string): Record<string, unknown> {
  const schema = kind === undefined ? manifestSchema() : MANIFEST_SCHEMAS[resolveKind(kind)];
  const json = z.toJSONSchema(schema, { target: 'draft-07', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const title = kind === undefined ? 'hwc-provisioner manifest' : `hwc-provisioner ${resolveKind(kind)} manifest`;
  return { ...json, $id: kind === undefined ? SCHEMA_ID : SCHEMA_ID.replace('manifest.schema', `${resolveKind(kind)}.schema`), title };
}

export class UnknownKindError extends Error {
  readonly code = 'UNKNOWN_KIND';
  constructor(readonly kind: string) {
    super(`unknown kind "${kind}"; expected one of ${KINDS.join(', ')}`);
    this.name = 'UnknownKindError';
  }
}

function resolveKind(kind: string): Kind {
  const found = KINDS.find((k) => k.toLowerCase() === kind.toLowerCase());
  if (!found) throw new UnknownKindError(kind);
  return found;
}
