/** Validation findings and the errors that carry them. */
import {
  clipText,
  MAX_ECHOED_FILE_CHARS,
  MAX_ECHOED_MESSAGE_CHARS,
  MAX_ECHOED_NAME_CHARS,
  MAX_ECHOED_PATH_CHARS,
  MAX_ERRORS_PER_DOCUMENT,
  MAX_REJECTED_BYTES,
  MAX_REJECTED_DOCUMENTS,
} from './limits';
import type { Planned } from './submission';
import type { ValidatedDocument } from './validate';

/** One finding in a manifest source, positioned for editors and CI logs (1-based line and column). */
export interface ManifestIssue {
  /** Dotted path from the document root; array indices are numbers; empty for the document as a whole. */
  path: string;
  message: string;
  line: number;
  column: number;
}

/** The verdict on one YAML/JSON document of a source. */
export interface DocumentResult {
  file: string;
  /** 0-based position of the document in its source. */
  index: number;
  kind?: string;
  name?: string;
  valid: boolean;
  errors: ManifestIssue[];
  warnings: ManifestIssue[];
}

export function formatIssue(file: string, issue: ManifestIssue): string {
  return `${file}:${issue.line}:${issue.column} ${issue.path}: ${issue.message}`;
}

/** What a rejection reports of one invalid document. */
export type ReportedDocument = Pick<DocumentResult, 'file' | 'index' | 'kind' | 'name' | 'errors'>;

/**
 * A rejection report as stored and announced. Reports echo the input (unknown keys, kinds, values quoted in
 * messages), and the request's record and its request.rejected event both carry one, in a single DynamoDB
 * item: every text is clipped, and errors and documents beyond the bounds in limits.ts are counted in a last
 * "… and N more" entry instead of listed. Each listed document keeps at least its first error.
 */
export function boundRejected(documents: readonly ReportedDocument[]): ReportedDocument[] {
  const out: ReportedDocument[] = [];
  let bytes = 0;
  for (const [i, doc] of documents.entries()) {
    if (out.length === MAX_REJECTED_DOCUMENTS || bytes >= MAX_REJECTED_BYTES) {
      const more = documents.length - i;
      out.push({
        file: clipText(doc.file, MAX_ECHOED_FILE_CHARS),
        index: -1,
        errors: [{ path: '', message: `… and ${more} more rejected document${more === 1 ? '' : 's'}`, line: 1, column: 1 }],
      });
      break;
    }
    const listed: ReportedDocument = {
      file: clipText(doc.file, MAX_ECHOED_FILE_CHARS),
      index: doc.index,
      ...(doc.kind !== undefined ? { kind: clipText(doc.kind, MAX_ECHOED_NAME_CHARS) } : {}),
      ...(doc.name !== undefined ? { name: clipText(doc.name, MAX_ECHOED_NAME_CHARS) } : {}),
      errors: [],
    };
    bytes += jsonBytes(listed);
    for (const [j, error] of doc.errors.entries()) {
      const issue: ManifestIssue = {
        path: clipText(error.path, MAX_ECHOED_PATH_CHARS),
        message: clipText(error.message, MAX_ECHOED_MESSAGE_CHARS),
        line: error.line,
        column: error.column,
      };
      const size = jsonBytes(issue) + 1;
      if (j === MAX_ERRORS_PER_DOCUMENT || (j > 0 && bytes + size > MAX_REJECTED_BYTES)) {
        const more = doc.errors.length - j;
        listed.errors.push({
          path: '',
          message: `… and ${more} more error${more === 1 ? '' : 's'}`,
          line: error.line,
          column: error.column,
        });
        break;
      }
      listed.errors.push(issue);
      bytes += size;
    }
    out.push(listed);
  }
  return out;
}

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/**
 * Marks the document that declared `planned` invalid with one more error at `path` (or at its name when the
 * path is not in the source): the checks after validation (ownership, policy, preflight) refuse this way.
 */
export function refuseDocument(documents: readonly ValidatedDocument[], planned: Planned, path: string, message: string): void {
  const doc = documents.find((d) => d.manifest === planned.manifest);
  if (!doc) return;
  const at = doc.positionOf?.(path.split('.')) ?? doc.positionOf?.(['metadata', 'name']) ?? { line: 1, column: 1 };
  doc.errors.push({ path, message, ...at });
  doc.valid = false;
}
