/** What the local demo puts in the fake repositories, and the file through which `npm run local:send` finds the running stack. */
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import picomatch from 'picomatch';
import { parseAllDocuments } from 'yaml';

export const DEMO_REPOSITORY = 'acme/infra';
const EXAMPLES_DIR = fileURLToPath(new URL('../../examples', import.meta.url));
const DEFAULT_GLOBS = ['provisioning/**/*.{yaml,yml,json}'];

/** MANIFEST_GLOBS as the product parses it (shared/config.ts), for code that runs before or outside the handlers. */
export function manifestGlobs(env: Record<string, string | undefined> = process.env): string[] {
  const globs = (env.MANIFEST_GLOBS ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  return globs.length > 0 ? globs : DEFAULT_GLOBS;
}

/** Where in the repository a manifest named `name` goes so that intake finds it: under the first glob's directory. */
export function manifestPath(globs: readonly string[], name: string): string {
  const isManifest = picomatch([...globs]);
  const base = picomatch.scan(globs[0]!).base;
  const candidates = [join(base, name), join(base, 'manifests', name), name];
  return candidates.find((path) => isManifest(path)) ?? join(base, name);
}

/** The examples/ manifests, placed under `<glob dir>/examples/` (the state of the default branch before any demo push). */
export function exampleFiles(globs: readonly string[]): Record<string, string> {
  const isManifest = picomatch([...globs]);
  const base = picomatch.scan(globs[0]!).base;
  const files: Record<string, string> = {};
  for (const name of readdirSync(EXAMPLES_DIR)
    .filter((n) => /\.(ya?ml|json)$/.test(n))
    .sort()) {
    const nested = join(base, 'examples', name);
    files[isManifest(nested) ? nested : manifestPath(globs, name)] = readFileSync(join(EXAMPLES_DIR, name), 'utf8');
  }
  return files;
}

/**
 * Two fresh resources from the examples (an edge deployment and a notebook), renamed with `id` so every
 * send creates something new, even after a restart kept the table. `fail` gives the notebook the flavor
 * the simulator fails, to show failure feedback.
 */
export function demoManifests(id: string, opts: { fail?: boolean } = {}): string {
  const read = (name: string) => {
    const [doc] = parseAllDocuments(readFileSync(join(EXAMPLES_DIR, name), 'utf8'));
    return doc!;
  };
  const edge = read('edge-deployment.yaml');
  edge.setIn(['metadata', 'name'], `app-${id}`);
  edge.setIn(['spec', 'body', 'name'], `app-${id}`);
  const notebook = read('notebook.yaml');
  notebook.setIn(['metadata', 'name'], `notebooks-test-${id}`);
  notebook.setIn(['spec', 'body', 'name'], `notebooks-test-${id}`);
  if (opts.fail) notebook.setIn(['spec', 'body', 'flavor'], 'modelarts.vm.cpu.sim-fail');
  return `${edge.toString({ flowCollectionPadding: false })}---\n${notebook.toString({ flowCollectionPadding: false })}`;
}

/** Files from disk, keyed by where they go in the repository: kept as given when they already match the globs. */
export function repositoryFiles(globs: readonly string[], paths: readonly string[], cwd = process.cwd()): Record<string, string> {
  const isManifest = picomatch([...globs]);
  const files: Record<string, string> = {};
  for (const path of paths) {
    const relative = path.replace(/^\.\//, '');
    files[isManifest(relative) ? relative : manifestPath(globs, basename(path))] = readFileSync(resolve(cwd, path), 'utf8');
  }
  return files;
}

/** What the stack leaves for `npm run local:send`: where things listen, and the webhook secrets it generated (only those). */
export interface SendState {
  pid: number;
  apiUrl: string;
  fakeUrl: string;
  manifestGlobs: string[];
  github: { repository: string };
  gitlab: { repository: string; projectId: number };
  secrets: Partial<Record<'GITHUB_WEBHOOK_SECRET' | 'GITLAB_WEBHOOK_TOKEN' | 'JIRA_WEBHOOK_SECRET', string>>;
}

export const sendStatePath = (stateDir: string) => join(stateDir, 'fake-providers.json');

/** Readable by its owner only: it holds webhook secrets. */
export function writeSendState(stateDir: string, state: SendState): void {
  const path = sendStatePath(stateDir);
  writeFileSync(path, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

export function removeSendState(stateDir: string): void {
  rmSync(sendStatePath(stateDir), { force: true });
}
