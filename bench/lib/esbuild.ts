/**
 * The esbuild options `npm run package` uses: serverless.yml's custom.esbuild as serverless-esbuild turns it
 * into esbuild options, so the benchmark and the bundle test build exactly what is deployed.
 */
import type { BuildOptions } from 'esbuild';

export type EsbuildSettings = Record<string, unknown> & { exclude?: string[]; external?: string[]; outputFileExtension?: string };

/** serverless-esbuild's defaults for what custom.esbuild leaves out (its index.ts). */
const PLUGIN_DEFAULTS = {
  bundle: true,
  target: 'node18',
  external: [],
  exclude: ['aws-sdk'],
  platform: 'node',
  outputFileExtension: '.js',
};
/** Options serverless-esbuild consumes itself and removes before calling esbuild (its bundle.ts). */
const PLUGIN_ONLY = new Set([
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
]);

/** The esbuild options serverless-esbuild derives from custom.esbuild, and the extension of the bundles it writes. */
export function esbuildOptionsFrom(custom: EsbuildSettings): { options: BuildOptions; outputFileExtension: string } {
  // A plugins file or a config script would change the build in ways this mirror cannot see: refuse rather than differ.
  for (const key of ['plugins', 'config'])
    if (custom[key] !== undefined) throw new Error(`bench/lib/esbuild.ts does not mirror custom.esbuild.${key}`);
  const merged: EsbuildSettings = { ...PLUGIN_DEFAULTS, ...custom };
  const exclude = merged.exclude ?? [];
  const options = Object.fromEntries(Object.entries(merged).filter(([key]) => !PLUGIN_ONLY.has(key))) as BuildOptions;
  options.external = [...(merged.external ?? []), ...(exclude.includes('*') ? [] : exclude)];
  return { options, outputFileExtension: merged.outputFileExtension ?? '.js' };
}
