/**
 * Debian's Chromium driven by playwright-core, for the browser test and `npm run screenshots`. Never a browser
 * download: the binary is CHROMIUM_PATH, else /usr/bin/chromium (`apt-get install chromium`; .ci/run does it).
 */
import { accessSync, constants } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const DEFAULT_PATH = '/usr/bin/chromium';

/** No Chromium where it was looked for. */
export class ChromiumMissingError extends Error {
  readonly code = 'CHROMIUM_MISSING';
  constructor(readonly path: string) {
    super(`no Chromium at ${path}: install Debian's (apt-get install chromium) or set CHROMIUM_PATH to a Chromium binary`);
    this.name = 'ChromiumMissingError';
  }
}

/** The Chromium binary to drive, checked to be executable. */
export function chromiumPath(env: Record<string, string | undefined> = process.env): string {
  const path = env.CHROMIUM_PATH || DEFAULT_PATH;
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new ChromiumMissingError(path);
  }
  return path;
}

/** Headless Chromium; its sandbox needs user namespaces that root (CI) does not get, so root runs without it. */
export function launchChromium(): Promise<Browser> {
  const root = process.getuid?.() === 0;
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: root ? ['--no-sandbox'] : [] });
}
