/**
 * Every function's bundle, built with serverless.yml's esbuild settings exactly as `npm run package` builds
 * it, stays under issue 8's 1 MB: a stray import that defeats tree-shaking shows up here, not only in the bench.
 */
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { esbuildOptionsFrom, type EsbuildSettings } from '../../bench/lib/esbuild';

const sls = parse(readFileSync('serverless.yml', 'utf8'), { logLevel: 'silent' }) as {
  custom: { esbuild: EsbuildSettings };
  functions: Record<string, { handler: string }>;
};
const { options } = esbuildOptionsFrom(sls.custom.esbuild);

describe('function bundles', () => {
  it.each(Object.entries(sls.functions))('%s is under 1 MB minified', async (_name, fn) => {
    const result = await build({
      ...options,
      entryPoints: [`${fn.handler.replace(/\.[^.]+$/, '')}.ts`],
      outfile: 'bundle.cjs',
      write: false,
      sourcemap: false,
      logLevel: 'error',
    });
    const bytes = result.outputFiles.reduce((sum, f) => sum + f.contents.byteLength, 0);
    expect(bytes).toBeLessThan(1_000_000);
  });
});
