/** What changed between two commits, as manifest files: tree diffs by blob id, filtered by the configured globs. */
import picomatch from 'picomatch';
import type { SourceFile } from './submit';
import { runLimited } from '../concurrency';

export const ZERO_SHA = /^0+$/;

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
 * Files under the globs that are new or changed between `before` and `after`. The payload's per-commit
 * lists are capped by both providers, so the trees are compared instead; a new branch takes every match.
 */
export async function changedManifests(reader: GitReader, before: string, after: string, globs: readonly string[]): Promise<SourceFile[]> {
  const isManifest = picomatch([...globs], { dot: false });
  const afterTree = (await reader.listTree(after)).filter((e) => isManifest(e.path));
  let changed = afterTree;
  if (!ZERO_SHA.test(before)) {
    const previous = new Map((await reader.listTree(before)).map((e) => [e.path, e.id]));
    changed = afterTree.filter((e) => previous.get(e.path) !== e.id);
  }
  changed.sort((a, b) => a.path.localeCompare(b.path));
  const texts = await runLimited(changed, 8, (entry) => reader.readBlob(entry));
  return changed.map((entry, i) => ({ file: entry.path, text: texts[i]! }));
}
