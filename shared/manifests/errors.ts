/** Validation findings and the errors that carry them. */

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

/** Manifests were submitted but at least one is invalid; the whole submission is rejected. */
export class ManifestValidationError extends Error {
  readonly code = 'MANIFEST_INVALID';
  constructor(readonly documents: DocumentResult[]) {
    const count = documents.reduce((n, d) => n + d.errors.length, 0);
    super(`${count} error${count === 1 ? '' : 's'} in the submitted manifests`);
    this.name = 'ManifestValidationError';
  }
}

/** The submission holds no manifest at all (empty body, only comments, or no fenced yaml block). */
export class NoManifestError extends Error {
  readonly code = 'NO_MANIFEST';
  constructor(message = 'no manifest found') {
    super(message);
    this.name = 'NoManifestError';
  }
}

export function formatIssue(file: string, issue: ManifestIssue): string {
  return `${file}:${issue.line}:${issue.column} ${issue.path}: ${issue.message}`;
}
