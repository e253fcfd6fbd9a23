import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, parseHuaweiEnv } from '../../shared/config';
import { loadHuaweiCredentials, resetHuaweiCredentials } from '../../shared/huaweicloud/credentials';
import { resetSecrets } from '../../shared/secrets';
import { defaultEndpoint, resolveEndpoint } from '../../shared/huaweicloud/endpoints';
import { HuaweiPermanentError, HuaweiRetryableError, HuaweiUnknownOutcomeError } from '../../shared/huaweicloud/errors';

const PROJECT = '0123456789abcdef0123456789abcdef';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('endpoints', () => {
  it('defaults per region, with the .cn quirk for ModelArts in ap-southeast-1', () => {
    expect(defaultEndpoint('modelarts', 'cn-north-4')).toBe('https://modelarts.cn-north-4.myhuaweicloud.com');
    expect(defaultEndpoint('modelarts', 'ap-southeast-1')).toBe('https://modelarts.ap-southeast-1.myhuaweicloud.cn');
    expect(defaultEndpoint('ief', 'ap-southeast-1')).toBe('https://ief.ap-southeast-1.myhuaweicloud.com');
    expect(defaultEndpoint('ief', 'cn-east-3')).toBe('https://ief.cn-east-3.myhuaweicloud.com');
  });

  it('lets an override win and drops its trailing slash', () => {
    expect(resolveEndpoint('ief', 'cn-north-4', 'http://127.0.0.1:4010/')).toBe('http://127.0.0.1:4010');
  });
});

describe('huaweiConfig', () => {
  const base = { HUAWEICLOUD_SDK_AK: 'AK', HUAWEICLOUD_SDK_SK: 'SK', HUAWEICLOUD_SDK_PROJECT_ID: PROJECT };

  it('resolves env credentials, endpoints and timeouts', () => {
    const cfg = parseHuaweiEnv({ ...base, HUAWEICLOUD_REGION: 'ap-southeast-1', HUAWEICLOUD_IEF_ENDPOINT: 'http://localhost:9000' });
    expect(cfg).toMatchObject({
      region: 'ap-southeast-1',
      projectId: PROJECT,
      modelartsEndpoint: 'https://modelarts.ap-southeast-1.myhuaweicloud.cn',
      iefEndpoint: 'http://localhost:9000',
      connectTimeoutMs: 5000,
      readTimeoutMs: 15000,
      credentials: { source: 'env', ak: 'AK', sk: 'SK' },
    });
  });

  it('uses the secret when no AK/SK is set', () => {
    const cfg = parseHuaweiEnv({ HUAWEICLOUD_CREDENTIALS_SECRET: 'hwc/creds', HUAWEICLOUD_SDK_PROJECT_ID: PROJECT });
    expect(cfg.credentials).toEqual({ source: 'secret', secretId: 'hwc/creds', maxAgeSeconds: 300 });
    const fresher = parseHuaweiEnv({
      HUAWEICLOUD_CREDENTIALS_SECRET: 'hwc/creds',
      HUAWEICLOUD_SDK_PROJECT_ID: PROJECT,
      SECRETS_MAX_AGE_SECONDS: '30',
    });
    expect(fresher.credentials).toEqual({ source: 'secret', secretId: 'hwc/creds', maxAgeSeconds: 30 });
    expect(configError(() => parseHuaweiEnv({ ...base, SECRETS_MAX_AGE_SECONDS: '-1' })).variable).toBe('SECRETS_MAX_AGE_SECONDS');
  });

  it('names the missing variable', () => {
    expect(configError(() => parseHuaweiEnv({ HUAWEICLOUD_SDK_AK: 'AK', HUAWEICLOUD_SDK_PROJECT_ID: PROJECT })).variable).toBe(
      'HUAWEICLOUD_SDK_SK',
    );
    expect(configError(() => parseHuaweiEnv({ HUAWEICLOUD_SDK_SK: 'SK', HUAWEICLOUD_SDK_PROJECT_ID: PROJECT })).variable).toBe(
      'HUAWEICLOUD_SDK_AK',
    );
    expect(configError(() => parseHuaweiEnv({ HUAWEICLOUD_SDK_PROJECT_ID: PROJECT })).variable).toBe('HUAWEICLOUD_SDK_AK');
    expect(configError(() => parseHuaweiEnv({ HUAWEICLOUD_SDK_AK: 'AK', HUAWEICLOUD_SDK_SK: 'SK' })).variable).toBe(
      'HUAWEICLOUD_SDK_PROJECT_ID',
    );
    // Empty strings count as unset, as deployment tools write VAR= for "not configured".
    expect(configError(() => parseHuaweiEnv({ ...base, HUAWEICLOUD_SDK_SK: '' })).variable).toBe('HUAWEICLOUD_SDK_SK');
    expect(configError(() => parseHuaweiEnv({ ...base, HUAWEICLOUD_MODELARTS_ENDPOINT: 'not a url' })).variable).toBe(
      'HUAWEICLOUD_MODELARTS_ENDPOINT',
    );
  });

  it('never puts the SK in an error message', () => {
    const error = configError(() => parseHuaweiEnv({ HUAWEICLOUD_SDK_SK: 'super-secret', HUAWEICLOUD_SDK_PROJECT_ID: PROJECT }));
    expect(error.message).not.toContain('super-secret');
  });
});

describe('credentials', () => {
  afterEach(() => {
    resetHuaweiCredentials();
    resetSecrets();
  });

  it('passes env credentials through', async () => {
    await expect(loadHuaweiCredentials({ source: 'env', ak: 'A', sk: 'S', securityToken: 'T' })).resolves.toEqual({
      ak: 'A',
      sk: 'S',
      securityToken: 'T',
    });
  });

  it('asks the fetcher for the secret with its max age, and uses whatever text it returns', async () => {
    const asked: [string, number][] = [];
    let text = JSON.stringify({ ak: 'A', sk: 'S' });
    const fetchSecret = async (id: string, maxAge: number) => {
      asked.push([id, maxAge]);
      return text;
    };
    const source = { source: 'secret', secretId: 'hwc/creds', maxAgeSeconds: 60 } as const;
    await expect(loadHuaweiCredentials(source, fetchSecret)).resolves.toEqual({ ak: 'A', sk: 'S' });
    text = JSON.stringify({ ak: 'A2', sk: 'S2', securityToken: 'T2' });
    await expect(loadHuaweiCredentials(source, fetchSecret)).resolves.toEqual({ ak: 'A2', sk: 'S2', securityToken: 'T2' });
    expect(asked).toEqual([
      ['hwc/creds', 60],
      ['hwc/creds', 60],
    ]);
  });

  // No Secrets Manager emulator exists here (fauxqs serves SQS and SNS only, see local/emulators.ts), so
  // aws-sdk-client-mock answers GetSecretValue, and only that call: the rest is Powertools' real cache.
  it('reads the secret through Secrets Manager once per max age, so a rotated AK/SK reaches a warm container', async () => {
    const sm = mockClient(SecretsManagerClient);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      sm.on(GetSecretValueCommand, { SecretId: 'hwc/creds' }).resolves({ SecretString: JSON.stringify({ ak: 'OLD-AK', sk: 'OLD-SK' }) });
      const source = { source: 'secret', secretId: 'hwc/creds', maxAgeSeconds: 300 } as const;
      await expect(loadHuaweiCredentials(source)).resolves.toEqual({ ak: 'OLD-AK', sk: 'OLD-SK' });

      // Rotated in Secrets Manager: the cached value is used until it is max age old, then the new one.
      sm.on(GetSecretValueCommand, { SecretId: 'hwc/creds' }).resolves({ SecretString: JSON.stringify({ ak: 'NEW-AK', sk: 'NEW-SK' }) });
      vi.advanceTimersByTime(299_000);
      await expect(loadHuaweiCredentials(source)).resolves.toEqual({ ak: 'OLD-AK', sk: 'OLD-SK' });
      expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
      vi.advanceTimersByTime(2_000);
      await expect(loadHuaweiCredentials(source)).resolves.toEqual({ ak: 'NEW-AK', sk: 'NEW-SK' });
      expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);

      // A failed re-read keeps the last value rather than failing every Huawei call until Secrets Manager answers.
      sm.on(GetSecretValueCommand).rejects(new Error('Secrets Manager unavailable'));
      vi.advanceTimersByTime(301_000);
      await expect(loadHuaweiCredentials(source)).resolves.toEqual({ ak: 'NEW-AK', sk: 'NEW-SK' });
      expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(3);
    } finally {
      vi.useRealTimers();
      sm.restore();
    }
  });

  it('fails the first read when Secrets Manager cannot be reached, naming no secret content', async () => {
    const sm = mockClient(SecretsManagerClient);
    try {
      sm.on(GetSecretValueCommand).rejects(new Error('AccessDeniedException'));
      await expect(loadHuaweiCredentials({ source: 'secret', secretId: 'hwc/creds', maxAgeSeconds: 300 })).rejects.toThrow(/AccessDenied/);
      sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ ak: 'A', sk: 'S' }) });
      await expect(loadHuaweiCredentials({ source: 'secret', secretId: 'hwc/creds', maxAgeSeconds: 300 })).resolves.toEqual({
        ak: 'A',
        sk: 'S',
      });
    } finally {
      sm.restore();
    }
  });

  it('rejects a malformed secret without echoing it, and does not cache the failure', async () => {
    const source = { source: 'secret', secretId: 'hwc/creds', maxAgeSeconds: 300 } as const;
    const error = await loadHuaweiCredentials(source, async () => '{"ak":"A","sk":"leaked-sk", oops').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('HUAWEICLOUD_CREDENTIALS_SECRET');
    expect(String((error as Error).message)).not.toContain('leaked');
    await expect(loadHuaweiCredentials(source, async () => '{"ak":"A","sk":"S"}')).resolves.toEqual({ ak: 'A', sk: 'S' });
  });
});

describe('errors', () => {
  it('carry a stable code and the Huawei fields, and serialise without a cause', () => {
    const error = new HuaweiPermanentError({
      operation: 'create Notebook',
      status: 400,
      errorCode: 'ModelArts.0104',
      errorMsg: 'Parameter error',
      requestId: 'req-1',
      cause: Object.assign(new Error('boom'), { headers: { Authorization: 'SDK-HMAC-SHA256 Access=AK' } }),
    });
    expect(error.code).toBe('HUAWEI_PERMANENT');
    expect(error.message).toBe('create Notebook: rejected | HTTP 400 | ModelArts.0104 | Parameter error | request req-1');
    expect(JSON.stringify(error)).not.toContain('Access=');
    expect(JSON.stringify((error as Error).cause ?? {})).not.toContain('Access=');
    expect((error.cause as Record<string, unknown>)['headers']).toBeUndefined();
    expect(new HuaweiRetryableError({ operation: 'x' }).code).toBe('HUAWEI_RETRYABLE');
    expect(new HuaweiUnknownOutcomeError({ operation: 'x' }).code).toBe('HUAWEI_UNKNOWN_OUTCOME');
  });
});
