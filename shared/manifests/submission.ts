/**
 * The checks that span a submission's documents: identities unique within it, a project to create in, a
 * storable size, references within one project and region. The service (POST /requests, pushes, tickets),
 * pull-request plans and `hwc-provisioner validate` all run these same checks, so they agree on a verdict.
 */
import { adapterOf, type Manifest } from '../kinds/registry';
import { canonicalJson } from './canonical';
import { boundRejected, type ManifestIssue } from './errors';
import { checkReferences, validateSource, type ValidatedDocument } from './validate';
import type { RejectedDocument } from '../store/types';

/** A DynamoDB item holds 400 KB; the rest of the record needs room too. */
const MAX_STORED_MANIFEST_BYTES = 300 * 1024;

export interface SourceFile {
  file: string;
  text: string;
}

/** Where a manifest goes when it names no project or region. */
export interface PlacementDefaults {
  projectId?: string;
  region: string;
}

export interface Planned {
  manifest: Manifest;
  file: string;
  projectId: string;
  region: string;
}

/** A submission after the checks that span its documents: every verdict, and the resources to record. */
export interface PlannedSubmission {
  documents: ValidatedDocument[];
  planned: Planned[];
}

/** Validation that spans documents: identities unique within the request, a project to create in, storable size. */
export function planSubmission(files: readonly SourceFile[], defaults: PlacementDefaults, sequenceAsDocuments = false): PlannedSubmission {
  const documents = files.flatMap((f) => validateSource(f.text, f.file, { sequenceAsDocuments }));
  checkReferences(documents);
  const seen = new Map<string, ValidatedDocument>();
  const planned: Planned[] = [];
  const plannedDocs: ValidatedDocument[] = [];
  const failDoc = (doc: ValidatedDocument, path: string[], message: string) => {
    const at = doc.positionOf?.(path) ?? { line: 1, column: 1 };
    doc.errors.push({ path: path.join('.'), message, ...at } satisfies ManifestIssue);
    doc.valid = false;
  };
  for (const doc of documents) {
    if (!doc.valid || !doc.manifest) continue;
    const { manifest } = doc;
    const fail = (path: string[], message: string) => failDoc(doc, path, message);
    const identity = `${manifest.kind}/${manifest.metadata.name}`;
    const first = seen.get(identity);
    if (first) {
      const at = first.positionOf?.(['metadata', 'name']);
      const where = `${first.file}${at ? `:${at.line}:${at.column}` : ''}`;
      // The same declaration twice asks for one resource (as `kubectl apply` of both would); two specs for one name cannot both hold.
      if (canonicalJson(first.manifest) === canonicalJson(manifest)) {
        const here = doc.positionOf?.(['metadata', 'name']) ?? { line: 1, column: 1 };
        doc.warnings.push({
          path: 'metadata.name',
          message: `${identity} is also declared, identically, in ${where}; counted once`,
          ...here,
        });
      } else {
        fail(['metadata', 'name'], `${identity} is declared twice in this request with different specs (first in ${where})`);
      }
      continue;
    }
    seen.set(identity, doc);
    const projectId = manifest.spec.projectId ?? defaults.projectId;
    if (!projectId) {
      fail(['spec'], 'projectId is required: no default project is configured (HUAWEICLOUD_SDK_PROJECT_ID)');
      continue;
    }
    if (Buffer.byteLength(JSON.stringify(manifest)) > MAX_STORED_MANIFEST_BYTES) {
      fail([], `manifest is larger than ${MAX_STORED_MANIFEST_BYTES} bytes once parsed; split it`);
      continue;
    }
    planned.push({ manifest, file: doc.file, projectId, region: manifest.spec.region ?? defaults.region });
    plannedDocs.push(doc);
  }
  // A referenced resource (a pool) is used from its own project and region: a reference to one of this request
  // elsewhere could only wait for ever (the dependent looks it up in its own project) or fail at Huawei.
  const declared = new Map(planned.map((p) => [`${p.manifest.kind}/${p.manifest.metadata.name}`, p]));
  planned.forEach((p, i) => {
    const reference = adapterOf(p.manifest.kind).reference(p.manifest.spec);
    const target = reference ? declared.get(`${reference.kind}/${reference.name}`) : undefined;
    if (reference && target && (target.projectId !== p.projectId || target.region !== p.region)) {
      failDoc(
        plannedDocs[i]!,
        [...reference.path],
        `names ${reference.kind} ${reference.name}, which this request creates in project ${target.projectId}, ${target.region}; this ` +
          `${p.manifest.kind} is in project ${p.projectId}, ${p.region}: it can only be used from its own project and region`,
      );
    }
  });
  return { documents, planned: planned.filter((_, i) => plannedDocs[i]!.valid) };
}

/** Bounded once, here: the record and its request.rejected event carry the same report, in one item. */
export function rejectedDocuments(documents: readonly ValidatedDocument[]): RejectedDocument[] {
  return boundRejected(
    documents
      .filter((d) => !d.valid)
      .map(({ file, index, kind, name, errors }) => ({ file, index, ...(kind ? { kind } : {}), ...(name ? { name } : {}), errors })),
  );
}
