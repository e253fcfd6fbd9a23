#!/usr/bin/env node
// In a clone the TypeScript runs through tsx, so `npx hwc-provisioner` works straight after `npm ci` and never
// lags the source; the published package has no cli/ and runs the bundle `npm pack` built (scripts/build-cli.ts).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

// The AWS SDK warns on every run under Node 20, which this CLI supports (engines); the warning is not the user's to act on.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const source = new URL('../cli/main.ts', import.meta.url);
let run;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ run } = await import(source.href));
} else {
  ({ run } = createRequire(import.meta.url)('../dist/cli.cjs'));
}
process.exitCode = await run(process.argv.slice(2));
