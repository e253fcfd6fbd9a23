/** What changed between two commits, as manifest files: tree diffs by blob id, filtered by the configured globs. */
import picomatch from 'picomatch';
import type { SourceFile } from './submit';
import { runLimited } from '../concurrency';

import { ZERO_SHA } from './push-events';

/** Per call: a provider slower than this is treated as an outage, and the message is redelivered. */
export const INTAKE_TIMEOUT_MS = 10_000;

/** A path and the id of its content (blob sha) at one commit. */
export interface TreeEntry {
  path: string;
  id: string;
}

/** The provider-specific half: list a commit's files and read one. */
export interface GitReader {
  listTree(commit: string): Promise<TreeEntry[]>;
  readBlob(entry: TreeEntry): Promise<string>;
}

/**
 * Both halves of a push: the manifest files new or changed at `after`, and those gone since `before` with the
 * text they had there (what they declared is what the push removes). A new branch removes nothing.
 */
export async function treeChanges(
  reader: GitReader,
  before: string,
  after: string,
  globs: readonly string[],
): Promise<{ changed: SourceFile[]; removed: SourceFile[] }> {
  const isManifest = picomatch([...globs], { dot: false });
  const afterTree = (await reader.listTree(after)).filter((e) => isManifest(e.path));
  let changed = afterTree;
  let removed: TreeEntry[] = [];
  if (!ZERO_SHA.test(before)) {
    const beforeTree = (await reader.listTree(before)).filter((e) => isManifest(e.path));
    const previous = new Map(beforeTree.map((e) => [e.path, e.id]));
    const present = new Set(afterTree.map((e) => e.path));
    changed = afterTree.filter((e) => previous.get(e.path) !== e.id);
    removed = beforeTree.filter((e) => !present.has(e.path));
  }
  const byPath = (a: TreeEntry, b: TreeEntry) => a.path.localeCompare(b.path);
  changed.sort(byPath);
  removed.sort(byPath);
  const texts = await runLimited([...changed, ...removed], 8, (entry) => reader.readBlob(entry));
  const files = [...changed, ...removed].map((entry, i) => ({ file: entry.path, text: texts[i]! }));
  return { changed: files.slice(0, changed.length), removed: files.slice(changed.length) };
}
