/** Secrets, resolved once per container: from the environment locally, from Secrets Manager when deployed. */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError, parseEnv, SecretsEnvSchema, type SecretsEnv } from './config';

type Env = Record<string, string | undefined>;

let cached: { env: Env; value: Promise<SecretsEnv> } | undefined;

/**
 * Resolved at run time by name rather than with ${ssm:...} in serverless.yml, which would make
 * offline packaging call AWS. A failed fetch is not cached, so the next invocation retries.
 */
export function loadSecrets(env: Env = process.env): Promise<SecretsEnv> {
  if (cached?.env === env) return cached.value;
  const value = resolve(env);
  cached = { env, value };
  value.catch(() => {
    if (cached?.value === value) cached = undefined;
  });
  return value;
}

export function resetSecrets(): void {
  cached = undefined;
}

async function resolve(env: Env): Promise<SecretsEnv> {
  const secretId = env.SECRETS_ID;
  if (!secretId) return parseEnv(SecretsEnvSchema, env);
  const client = new SecretsManagerClient({ region: env.AWS_REGION });
  const result = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  let stored: unknown;
  try {
    stored = JSON.parse(result.SecretString ?? '{}');
  } catch {
    // The parse error would echo part of the secret: say only where the problem is.
    throw new ConfigError('SECRETS_ID', 'names a secret whose value is not a JSON object');
  }
  if (!stored || typeof stored !== 'object') throw new ConfigError('SECRETS_ID', 'names a secret whose value is not a JSON object');
  return parseEnv(SecretsEnvSchema, { ...env, ...(stored as Env) });
}
