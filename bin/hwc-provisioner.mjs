#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader so `npx hwc-provisioner` works straight after `npm ci`, with no build step.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../cli/main.ts');
process.exitCode = await run(process.argv.slice(2));
