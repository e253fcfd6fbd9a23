/**
 * Every function's bundle, built with serverless.yml's esbuild settings exactly as `npm run package` builds
 * it, stays under issue 8's 1 MB: a stray import that defeats tree-shaking shows up here, not only in the bench.
 * The credential sources left out of the bundles still load, as on Lambda, from NODE_PATH.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { esbuildOptionsFrom, type EsbuildSettings } from '../../bench/lib/esbuild';
import { useLocalResources } from '../setup/stack';

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

describe('what a webhook delivery loads', () => {
  it('the webhook function bundles no DynamoDB, SNS, store, wiring or API code, and imports nothing dynamically', async () => {
    const result = await build({ ...options, entryPoints: ['functions/webhook.ts'], outfile: 'webhook.cjs', write: false, metafile: true });
    const inputs = Object.keys(Object.values(result.metafile.outputs).find((o) => o.entryPoint)!.inputs);
    // Every delivery, a Jira approval included, is one SQS message: the function holds no table.
    const excluded = [
      /@aws-sdk\/(client-dynamodb|lib-dynamodb|client-sns)\//,
      /picomatch/,
      /shared\/(store|reconcile)\//,
      /shared\/runtime\.ts/,
      /shared\/http\/(api|reads|schemas)\.ts/,
    ];
    expect(inputs.filter((path) => excluded.some((pattern) => pattern.test(path)))).toEqual([]);
    const dynamic = Object.entries(result.metafile.inputs).flatMap(([from, input]) =>
      input.imports.filter((i) => i.kind === 'dynamic-import' && !from.startsWith('node_modules/')).map((i) => `${from} -> ${i.path}`),
    );
    expect(dynamic).toEqual([]);
    expect(inputs).toContain('node_modules/@aws-sdk/client-sqs/dist-es/commands/SendMessageCommand.js');
  });
});

describe('what intake bundles', () => {
  it('imports nothing of its own dynamically, so tree-shaking keeps only the DynamoDB commands it sends', async () => {
    const result = await build({ ...options, entryPoints: ['functions/intake.ts'], outfile: 'intake.cjs', write: false, metafile: true });
    const dynamic = Object.entries(result.metafile.inputs).flatMap(([from, input]) =>
      input.imports.filter((i) => i.kind === 'dynamic-import' && !from.startsWith('node_modules/')).map((i) => `${from} -> ${i.path}`),
    );
    // The one exception, a leaf package: the policy language, loaded when a policy is read (shared/policy/cel.ts).
    expect(dynamic).toEqual(['shared/policy/cel.ts -> node_modules/@marcbachmann/cel-js/lib/index.js']);
    const bundled = Object.keys(Object.values(result.metafile.outputs).find((o) => o.entryPoint)!.inputs);
    expect(bundled.some((path) => path.endsWith('client-dynamodb/dist-es/commands/TransactWriteItemsCommand.js'))).toBe(true);
    // The aggregated client (every command, waiters) is what a dynamic import used to drag in.
    expect(bundled.filter((path) => /client-dynamodb\/dist-es\/(DynamoDB\.js|waiters\/)/.test(path))).toEqual([]);
  });
});

describe('npm run package', () => {
  it('leaves the source maps out of every zip (nothing loads them at run time) and beside the bundles', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hwc-package-'));
    try {
      await promisify(execFile)('npx', ['osls', 'package', '--package', out], { timeout: 120_000 });
      for (const name of Object.keys(sls.functions)) {
        const zip = readFileSync(join(out, `${name}.zip`));
        // Zip entry names are stored uncompressed: the bundle is named, its map is not.
        expect(zip.includes(`functions/${name}.cjs`)).toBe(true);
        expect(zip.includes('.map')).toBe(false);
        expect(readFileSync(`.esbuild/.build/functions/${name}.cjs.map`).byteLength).toBeGreaterThan(0);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 150_000);
});

describe('credential sources left to the runtime', () => {
  it('load from NODE_PATH when the environment holds no credentials (a profile file here)', async () => {
    const stack = await useLocalResources();
    // Outside the repository, so nothing resolves from a node_modules above the bundle: only NODE_PATH can help.
    const dir = mkdtempSync(join(tmpdir(), 'bundle-creds-'));
    try {
      const outfile = join(dir, 'webhook.cjs');
      await build({ ...options, entryPoints: ['functions/webhook.ts'], outfile, sourcemap: false, logLevel: 'error' });
      expect(readFileSync(outfile, 'utf8')).toContain('require("@aws-sdk/credential-provider-ini")');
      writeFileSync(join(dir, 'credentials'), '[default]\naws_access_key_id = local\naws_secret_access_key = local\n');
      const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...env } = stack.env;
      await promisify(execFile)(
        process.execPath,
        [resolve('bench/procs/cold.cjs'), outfile, resolve('events/webhook-github-push.json'), join(dir, 'result.json')],
        {
          cwd: dir,
          timeout: 30_000,
          env: {
            PATH: process.env.PATH ?? '',
            ...env,
            GITHUB_WEBHOOK_SECRET: 'bundle-test-secret',
            AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
            AWS_CONFIG_FILE: join(dir, 'config-absent'),
            // As Lambda sets it: the runtime's own modules are found through NODE_PATH.
            NODE_PATH: resolve('node_modules'),
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          },
        },
      );
      // 202 means the push reached the intake queue, signed with credentials from the profile file.
      expect(JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'))).toMatchObject({ status: 202 });
      expect(await stack.drainQueue(stack.queues.intake.url, { count: 1 })).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      stack.close();
    }
  }, 60_000);
});
