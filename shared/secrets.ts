/**
 * Secrets: variables locally; when deployed, Secrets Manager secrets read through Powertools Parameters and read
 * again once SECRETS_MAX_AGE_SECONDS have passed, so a rotated secret reaches warm containers too.
 */
import { clearCaches } from '@aws-lambda-powertools/parameters';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { ConfigError, parseEnv, section, SecretSourceEnvSchema, SecretsEnvSchema, type SecretsEnv } from './config';

type Env = Record<string, string | undefined>;

/** Reads now under way, so the concurrent first requests of a container (or of an expiry) make one call between them. */
const pending = new Map<string, Promise<string>>();
/** The last text read per secret, served when a re-read fails. */
const lastRead = new Map<string, string>();
/** After a failed re-read, the last text is served without asking again until then (epoch ms). */
const heldUntil = new Map<string, number>();
/** How long a failed re-read holds the last value at most: long enough not to slow every request during an outage. */
const FAILED_READ_HOLD_SECONDS = 60;

/**
 * The text of a Secrets Manager secret, cached for `maxAgeSeconds` (Powertools' cache). When a re-read fails the
 * previous text is served, without asking again for up to a minute: a Secrets Manager outage must neither turn into
 * refused webhook deliveries that the cached value still authenticates, nor add a failing call to every request.
 * The first read of a container has nothing to fall back on and fails. `variable` names the setting for errors,
 * which never hold the secret's content.
 */
export function readSecret(secretId: string, maxAgeSeconds: number, variable: string): Promise<string> {
  let read = pending.get(secretId);
  if (!read) {
    read = fetchText(secretId, maxAgeSeconds, variable).finally(() => pending.delete(secretId));
    pending.set(secretId, read);
  }
  return read;
}

async function fetchText(secretId: string, maxAgeSeconds: number, variable: string): Promise<string> {
  const previous = lastRead.get(secretId);
  if (previous !== undefined && Date.now() < (heldUntil.get(secretId) ?? 0)) return previous;
  let value: unknown;
  try {
    // No `transform: 'json'`: its parse errors quote the input, which here is the secret. Callers parse it.
    value = await getSecret(secretId, { maxAge: maxAgeSeconds });
  } catch (error) {
    if (previous === undefined) throw error;
    heldUntil.set(secretId, Date.now() + Math.min(maxAgeSeconds, FAILED_READ_HOLD_SECONDS) * 1000);
    return previous;
  }
  if (typeof value !== 'string') throw new ConfigError(variable, 'names a secret with no text value (SecretString)');
  lastRead.set(secretId, value);
  return value;
}

const secretSource = section((env) => parseEnv(SecretSourceEnvSchema, env));
let local: { env: Env; value: SecretsEnv } | undefined;
let stored: { env: Env; text: string; value: SecretsEnv } | undefined;

/**
 * Resolved at run time by name rather than with ${ssm:...} in serverless.yml, which would make offline
 * packaging call AWS. A failed read or a malformed secret is not kept: the next call tries again.
 */
export async function loadSecrets(env: Env = process.env): Promise<SecretsEnv> {
  const source = secretSource(env);
  if (!source.SECRETS_ID) {
    // Variables do not change in a running process: parsed once.
    if (local?.env !== env) local = { env, value: parseEnv(SecretsEnvSchema, env) };
    return local.value;
  }
  const text = await readSecret(source.SECRETS_ID, source.SECRETS_MAX_AGE_SECONDS, 'SECRETS_ID');
  // Parsed again only when the text changed: API_TOKENS and WEBHOOK_SUBSCRIBERS are not free to parse.
  if (stored?.env === env && stored.text === text) return stored.value;
  const value = parseStored(text, env);
  stored = { env, text, value };
  return value;
}

function parseStored(text: string, env: Env): SecretsEnv {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parse error would echo part of the secret: say only where the problem is.
    throw new ConfigError('SECRETS_ID', 'names a secret whose value is not a JSON object');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigError('SECRETS_ID', 'names a secret whose value is not a JSON object');
  return parseEnv(SecretsEnvSchema, { ...env, ...(parsed as Env) });
}

/** Forgets every secret read, as a new container would (tests). */
export function resetSecrets(): void {
  local = undefined;
  stored = undefined;
  secretSource.reset();
  pending.clear();
  lastRead.clear();
  heldUntil.clear();
  clearCaches();
}
