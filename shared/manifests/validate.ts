/** Validation of manifest sources: the single entry point shared by the CLI, the webhooks and the intake queue. */
import type { z } from 'zod';
import { API_VERSION } from './envelope';
import type { DocumentResult, ManifestIssue } from './errors';
import { adapterOf, isKind, KINDS, MANIFEST_SCHEMAS, type Manifest } from '../kinds/registry';
import { clipText, MAX_ECHOED_NAME_CHARS, MAX_ECHOED_PATH_CHARS, quoted } from './limits';
import { MAX_DOCUMENTS, parseSource, type ParsedDocument } from './parse';
import { friendlyError, suggest } from './zod-helpers';

/** A document's verdict plus, when valid, the typed manifest. */
export interface ValidatedDocument extends DocumentResult {
  manifest?: Manifest;
  /** Source position of a path in this document, for checks that span documents. */
  positionOf?: (path: readonly PropertyKey[]) => { line: number; column: number };
}

function dotted(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

function issueAt(doc: ParsedDocument, path: readonly PropertyKey[], message: string, key?: string): ManifestIssue {
  const { line, column } = key === undefined ? doc.positionOf(path) : doc.positionOf(path, { key });
  // A path holds the input's keys, which may be of any length.
  return { path: clipText(dotted(path), MAX_ECHOED_PATH_CHARS), message, line, column };
}

function byPosition(a: ManifestIssue, b: ManifestIssue): number {
  return a.line - b.line || a.column - b.column;
}

function zodIssues(doc: ParsedDocument, issues: readonly z.core.$ZodIssue[]): ManifestIssue[] {
  return issues.map((issue) => {
    // Unknown fields are reported at the object that holds them, positioned on the first offending key.
    const key = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    return issueAt(doc, issue.path, issue.message, key);
  });
}

function validateDocument(doc: ParsedDocument, file: string): ValidatedDocument {
  const result: ValidatedDocument = {
    file,
    index: doc.index,
    valid: false,
    errors: [],
    warnings: [],
    positionOf: (path) => doc.positionOf(path),
  };
  if (doc.problems.length > 0) {
    result.errors = doc.problems.map((p) => ({ path: dotted(p.path), message: p.message, ...p.position }));
    return result;
  }
  const data = doc.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    result.errors.push(issueAt(doc, [], 'a manifest must be a mapping with apiVersion, kind, metadata and spec'));
    return result;
  }
  const record = data as Record<string, unknown>;
  const metadata = record.metadata as Record<string, unknown> | undefined;
  // Reported with the verdict before either is validated, so they may be anything.
  if (typeof record.kind === 'string') result.kind = clipText(record.kind, MAX_ECHOED_NAME_CHARS);
  if (metadata && typeof metadata === 'object' && typeof metadata.name === 'string')
    result.name = clipText(metadata.name, MAX_ECHOED_NAME_CHARS);

  if (!isKind(record.kind)) {
    if (record.apiVersion !== API_VERSION) {
      result.errors.push(
        issueAt(doc, ['apiVersion'], record.apiVersion === undefined ? `is required: ${API_VERSION}` : `must be ${API_VERSION}`),
      );
    }
    const hint = typeof record.kind === 'string' ? suggest(record.kind, KINDS) : undefined;
    const shown = () =>
      typeof record.kind === 'string' ? quoted(record.kind) : clipText(JSON.stringify(record.kind), MAX_ECHOED_NAME_CHARS);
    const message =
      record.kind === undefined
        ? `is required: one of ${KINDS.join(', ')}`
        : `unknown kind ${shown()}${hint ? `; did you mean "${hint}"?` : ''}; expected one of ${KINDS.join(', ')}`;
    result.errors.push(issueAt(doc, ['kind'], message));
    result.errors.sort(byPosition);
    return result;
  }

  // jitless: zod's compiled fast path costs a function compile per object schema on first use, which a cold
  // start pays in full, while parsing a manifest without it takes microseconds either way.
  const parsed = MANIFEST_SCHEMAS[record.kind].safeParse(record, { error: friendlyError, jitless: true });
  if (!parsed.success) {
    result.errors = zodIssues(doc, parsed.error.issues).sort(byPosition);
    return result;
  }
  result.valid = true;
  result.manifest = parsed.data as Manifest;
  result.warnings.push(
    ...adapterOf(record.kind)
      .warnings(record)
      .map((w) => issueAt(doc, w.path, w.message)),
  );
  return result;
}

/**
 * Validates every document of one source (a file, a request body, a ticket's yaml block).
 * Documents that hold only comments are skipped; positions are 1-based.
 */
export function validateSource(source: string, file: string, opts: { sequenceAsDocuments?: boolean } = {}): ValidatedDocument[] {
  const docs = parseSource(source).filter((doc) => !doc.empty);
  // A JSON array of manifests (POST /requests) counts as that many documents, positioned in the original text.
  const expanded = opts.sequenceAsDocuments
    ? docs.flatMap((doc) => (Array.isArray(doc.data) && doc.problems.length === 0 ? asDocuments(doc) : [doc]))
    : docs;
  return expanded.map((doc, index) => validateDocument({ ...doc, index }, file));
}

/** A JSON array counts its items as documents, under the same cap as a YAML stream's documents. */
function asDocuments(doc: ParsedDocument): ParsedDocument[] {
  const items = doc.data as unknown[];
  if (items.length > MAX_DOCUMENTS) {
    return [
      {
        ...doc,
        data: undefined,
        problems: [
          { path: [], message: `the array holds ${items.length} manifests; the limit is ${MAX_DOCUMENTS}`, position: doc.positionOf([]) },
        ],
      },
    ];
  }
  return items.map((data, i) => ({
    index: i,
    data,
    problems: [],
    empty: false,
    positionOf: (path, opts) => doc.positionOf([i, ...path], opts),
  }));
}

/**
 * Warns about a reference (a node pool's poolRef) that names no manifest of the referenced kind among the
 * documents given: only a warning, since the resource may come from an earlier request.
 */
export function checkReferences(documents: ValidatedDocument[]): void {
  const declared = new Set(documents.filter((d) => d.manifest).map((d) => `${d.manifest!.kind}/${d.manifest!.metadata.name}`));
  for (const doc of documents) {
    const reference = doc.manifest ? adapterOf(doc.manifest.kind).reference(doc.manifest.spec) : undefined;
    if (reference && !declared.has(`${reference.kind}/${reference.name}`)) {
      const at = doc.positionOf?.(reference.path) ?? { line: 1, column: 1 };
      doc.warnings.push({
        path: reference.path.join('.'),
        message: `no ${reference.kind} named "${reference.name}" in the manifests given; it must exist from an earlier request`,
        ...at,
      });
    }
  }
}
