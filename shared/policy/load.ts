/**
 * Where the policy comes from: a file (POLICY_FILE: the local stack, or one shipped with the function) or a
 * Secrets Manager secret (POLICY_PARAMETER) read through the secrets helper, so a deployed stage picks up a new
 * policy within SECRETS_MAX_AGE_SECONDS without a deployment. Neither set: no policy, every source may provision
 * anything, as without this module.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../config';
import { readSecret } from '../secrets';
import { parsePolicy, type Policy } from './document';

interface PolicyEnv {
  POLICY_FILE?: string;
  POLICY_PARAMETER?: string;
  /** How long the secret's text is used before it is read again (seconds; default 300, as for the other secrets). */
  SECRETS_MAX_AGE_SECONDS?: number | string;
}

const DEFAULT_MAX_AGE_SECONDS = 300;

/** Parsed policies by source and text: a warm container parses the document once, and again only when it changes. */
const parsed = new Map<string, Policy>();
const MAX_CACHED = 4;

/**
 * The configured policy, or undefined when none is. Throws ConfigError when the settings are unusable (both
 * set, a file that cannot be read, a secret without text) and PolicyDocumentError when the document is broken:
 * the caller fails its configuration rather than provisioning without the policy it was given.
 */
export async function loadPolicy(env: PolicyEnv = process.env): Promise<Policy | undefined> {
  const file = env.POLICY_FILE || undefined;
  const parameter = env.POLICY_PARAMETER || undefined;
  if (file && parameter) throw new ConfigError('POLICY_PARAMETER', 'cannot be set with POLICY_FILE: the policy comes from one place');
  if (file) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new ConfigError('POLICY_FILE', `names a file that cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    }
    return parseOnce(text, file);
  }
  if (parameter) {
    const text = await readSecret(parameter, maxAgeSeconds(env.SECRETS_MAX_AGE_SECONDS), 'POLICY_PARAMETER');
    return parseOnce(text, parameter);
  }
  return undefined;
}

function maxAgeSeconds(value: number | string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_MAX_AGE_SECONDS;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 0) throw new ConfigError('SECRETS_MAX_AGE_SECONDS', 'is invalid: must be a whole number');
  return seconds;
}

async function parseOnce(text: string, file: string): Promise<Policy> {
  const key = `${file}\n${text}`;
  const cached = parsed.get(key);
  if (cached) return cached;
  // A broken document is not kept: it throws on every call until it is fixed.
  const policy = await parsePolicy(text, file);
  if (parsed.size >= MAX_CACHED) parsed.delete(parsed.keys().next().value!);
  parsed.set(key, policy);
  return policy;
}
