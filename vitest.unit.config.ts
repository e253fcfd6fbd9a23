/**
 * `npm run test:unit`: the tests that need no emulator, server process or CLI child, with no globalSetup, so
 * they run in seconds. The list is computed, not maintained: a test file is left out when it, or a helper under
 * test/ that it imports (transitively), reaches the shared emulators (useLocalResources, inject), starts its own
 * (startDynamoDbLocal, startSqsEmulator, the soak), starts the simulator or the fake providers, or spawns a
 * process. A new test lands on the right side of the line without anyone editing this file.
 * `npm test` (vitest.config.ts) stays the full suite.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

const ROOT = import.meta.dirname;
const TEST_DIR = join(ROOT, 'test');
const NEEDS_INFRA =
  /useLocalResources|startSimulator|startFakeProviders|startDynamoDbLocal|startSqsEmulator|runSoak|inject\(|execFile|spawn/;
const RELATIVE_IMPORT = /\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** A relative import as a file on disk, or undefined (a directory index, an asset, a module outside test/ we don't follow). */
function resolveImport(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  return [base, `${base}.ts`, base.replace(/\.js$/, '.ts'), join(base, 'index.ts')].find(
    (path) => path.endsWith('.ts') && existsSync(path),
  );
}

const verdicts = new Map<string, boolean>();

/** Whether a file under test/ needs infrastructure, by its own text or that of the test helpers it imports. */
function needsInfra(file: string): boolean {
  const known = verdicts.get(file);
  if (known !== undefined) return known;
  verdicts.set(file, false); // import cycles end here
  const text = readFileSync(file, 'utf8');
  let verdict = NEEDS_INFRA.test(text);
  for (const match of text.matchAll(RELATIVE_IMPORT)) {
    if (verdict) break;
    const target = resolveImport(file, (match[1] ?? match[2])!);
    // Only helpers under test/ are followed: product modules are what the tests exercise, not how they run.
    if (target?.startsWith(TEST_DIR) && needsInfra(target)) verdict = true;
  }
  verdicts.set(file, verdict);
  return verdict;
}

export const unitTestFiles = (): string[] =>
  testFiles(TEST_DIR)
    .filter((file) => !needsInfra(file))
    .map((file) => relative(ROOT, file))
    .sort();

export default defineConfig({
  test: {
    include: unitTestFiles(),
    testTimeout: 30_000,
    maxWorkers: 2,
  },
});
