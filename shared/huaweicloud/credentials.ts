/** Huawei AK/SK for the client: from the environment, or from a Secrets Manager secret fetched once per container. */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError, type HuaweiCredentialSource } from '../config';
import type { Credentials } from './signer';

/** Just the call we need, so tests can pass a fake instead of an AWS client. */
export type SecretFetcher = (secretId: string) => Promise<string | undefined>;

let cached: { key: string; value: Promise<Credentials> } | undefined;

function awsFetcher(): SecretFetcher {
  const client = new SecretsManagerClient({});
  return async (secretId) => (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
}

/**
 * Resolves credentials, caching a secret lookup per container. A failed fetch is not cached so the
 * next invocation retries. Errors name the variable, never the secret's content.
 */
export function loadHuaweiCredentials(source: HuaweiCredentialSource, fetchSecret?: SecretFetcher): Promise<Credentials> {
  if (source.source === 'env') {
    return Promise.resolve({
      ak: source.ak,
      sk: source.sk,
      ...(source.securityToken ? { securityToken: source.securityToken } : {}),
    });
  }
  if (cached?.key === source.secretId) return cached.value;
  const value = fetchFromSecret(source.secretId, fetchSecret ?? awsFetcher());
  cached = { key: source.secretId, value };
  value.catch(() => {
    if (cached?.value === value) cached = undefined;
  });
  return value;
}

export function resetHuaweiCredentials(): void {
  cached = undefined;
}

async function fetchFromSecret(secretId: string, fetchSecret: SecretFetcher): Promise<Credentials> {
  const text = await fetchSecret(secretId);
  let stored: unknown;
  try {
    stored = JSON.parse(text ?? '');
  } catch {
    // JSON.parse errors quote the input, which here is the secret.
    stored = undefined;
  }
  const record = stored && typeof stored === 'object' ? (stored as Record<string, unknown>) : undefined;
  const ak = record?.['ak'];
  const sk = record?.['sk'];
  const token = record?.['securityToken'];
  if (typeof ak !== 'string' || !ak || typeof sk !== 'string' || !sk || (token !== undefined && typeof token !== 'string')) {
    throw new ConfigError('HUAWEICLOUD_CREDENTIALS_SECRET', 'names a secret that is not JSON {"ak","sk","securityToken"?}');
  }
  return { ak, sk, ...(token ? { securityToken: token } : {}) };
}
