/**
 * Huawei AK/SK for the client: from the environment, or from a Secrets Manager secret read again once its
 * SECRETS_MAX_AGE_SECONDS have passed, so a rotated AK/SK reaches warm containers.
 */
import { ConfigError, type HuaweiCredentialSource } from '../config';
import { readSecret } from '../secrets';
import type { Credentials } from './signer';

/** The secret's text, at most `maxAgeSeconds` old; tests pass a fake instead of Secrets Manager. */
export type SecretFetcher = (secretId: string, maxAgeSeconds: number) => Promise<string | undefined>;

const secretsManager: SecretFetcher = (secretId, maxAgeSeconds) => readSecret(secretId, maxAgeSeconds, 'HUAWEICLOUD_CREDENTIALS_SECRET');

/** The last secret text parsed: every Huawei call asks for credentials, and the text rarely changes. */
let parsed: { secretId: string; text: string | undefined; value: Credentials } | undefined;

/**
 * Resolves credentials for one call. The fetcher caches (Powertools, per maxAge) and a failed read is not
 * cached, so the next call tries again. Errors name the variable, never the secret's content.
 */
export async function loadHuaweiCredentials(
  source: HuaweiCredentialSource,
  fetchSecret: SecretFetcher = secretsManager,
): Promise<Credentials> {
  if (source.source === 'env') {
    return { ak: source.ak, sk: source.sk, ...(source.securityToken ? { securityToken: source.securityToken } : {}) };
  }
  const text = await fetchSecret(source.secretId, source.maxAgeSeconds);
  if (parsed?.secretId === source.secretId && parsed.text === text) return parsed.value;
  const value = parseCredentials(text);
  parsed = { secretId: source.secretId, text, value };
  return value;
}

export function resetHuaweiCredentials(): void {
  parsed = undefined;
}

function parseCredentials(text: string | undefined): Credentials {
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
