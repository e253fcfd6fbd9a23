/** Mixed-kind manifests with unique names, from examples/all-kinds.yaml (pool, node pool and notebook on it, edge deployment). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { REPO_ROOT } from './util';

export interface BenchManifest {
  kind: 'ResourcePool' | 'NodePool' | 'Notebook' | 'EdgeDeployment';
  metadata: { name: string };
  spec: { poolRef?: string; body: Record<string, any> };
}

/** `sets` copies of the four-kind example: 4 x sets manifests, every name (ours and Huawei's) unique per run. */
export function mixedManifests(sets: number, runId: string): BenchManifest[] {
  const example = parseAllDocuments(readFileSync(join(REPO_ROOT, 'examples/all-kinds.yaml'), 'utf8')).map((d) => d.toJS() as BenchManifest);
  const out: BenchManifest[] = [];
  for (let i = 0; i < sets; i++) {
    const suffix = `${runId}-${i}`;
    for (const template of example) {
      const doc = structuredClone(template);
      doc.metadata.name = `${doc.metadata.name}-${suffix}`;
      if (doc.spec.poolRef) doc.spec.poolRef = `${doc.spec.poolRef}-${suffix}`;
      const body = doc.spec.body;
      if (doc.kind === 'ResourcePool') body.metadata.labels['os.modelarts/name'] = `pool-${suffix}`;
      if (doc.kind === 'NodePool') {
        body.metadata.name = `np-${suffix}`;
        body.spec.resources.nodePool = `np-${suffix}`;
      }
      if (doc.kind === 'Notebook') body.name = `nb_${suffix.replaceAll('-', '_')}`;
      if (doc.kind === 'EdgeDeployment') body.name = `app-${suffix}`;
      out.push(doc);
    }
  }
  return out;
}

export function toYaml(manifests: readonly BenchManifest[]): string {
  return manifests.map((m) => stringify(m)).join('---\n');
}
