/**
 * `npm pack` (prepack): bundles the CLI and everything it imports into dist/cli.cjs, so the package needs
 * no dependency at run time and installs offline (bin/hwc-provisioner.mjs loads it).
 */
import { builtinModules } from 'node:module';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI_BUNDLE = 'dist/cli.cjs';

/** An import the bundle left out: the package installs none, so anything but Node's own modules would fail at run time. */
export class UnbundledImportError extends Error {
  readonly code = 'UNBUNDLED_IMPORT';
  constructor(imports: string[]) {
    super(`the CLI bundle imports ${imports.join(', ')} at run time; bundle them instead`);
    this.name = 'UnbundledImportError';
  }
}

const isBuiltin = (name: string) => name.startsWith('node:') || builtinModules.includes(name.split('/')[0]!);

export async function buildCli(outfile = CLI_BUNDLE): Promise<{ outfile: string; bytes: number }> {
  mkdirSync(new URL('../dist', import.meta.url), { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ['cli/main.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    // engines.node of package.json.
    target: 'node20',
    // CommonJS because the AWS SDK's transitive packages still require() Node built-ins, which an ES module bundle cannot.
    format: 'cjs',
    // The SDK's ES module builds tree-shake to the commands used, as in serverless.yml.
    mainFields: ['module', 'main'],
    minify: true,
    // Error classes are told apart by name in messages and by users' scripts.
    keepNames: true,
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
  });
  const output = result.metafile.outputs[outfile]!;
  const unbundled = [...new Set(output.imports.filter((i) => i.external && !isBuiltin(i.path)).map((i) => i.path))];
  if (unbundled.length > 0) throw new UnbundledImportError(unbundled);
  return { outfile, bytes: output.bytes };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { outfile, bytes } = await buildCli();
  // stderr: npm pack --json prints its report on stdout, after this.
  process.stderr.write(`${outfile}: ${(bytes / 1024).toFixed(0)} KB\n`);
}
