/**
 * Where the policy comes from: POLICY_FILE, or POLICY_PARAMETER (a Secrets Manager secret, answered here by
 * aws-sdk-client-mock as in test/http/secret-rotation.test.ts: reading and its max age are Powertools' and the
 * secrets helper's own code), neither (no policy), and the failures that must stop configuration.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../shared/config';
import { PolicyDocumentError } from '../../shared/policy/document';
import { loadPolicy } from '../../shared/policy/load';
import { resetSecrets } from '../../shared/secrets';

const dir = mkdtempSync(join(tmpdir(), 'hwcp-policy-'));
const ALLOWLIST = readFileSync('examples/policies/repository-allowlist.yaml', 'utf8');
const GPU = readFileSync('examples/policies/gpu-approval.yaml', 'utf8');

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loadPolicy from POLICY_FILE', () => {
  it('is undefined when nothing is configured (empty values count as unset)', async () => {
    expect(await loadPolicy({})).toBeUndefined();
    expect(await loadPolicy({ POLICY_FILE: '', POLICY_PARAMETER: '' })).toBeUndefined();
  });

  it('reads and parses the file, once per text: a changed file is parsed again', async () => {
    const path = file('policy.yaml', ALLOWLIST);
    const first = await loadPolicy({ POLICY_FILE: path });
    expect(first?.file).toBe(path);
    expect(first?.rules.map((r) => r.name)).toEqual(['infra-production', 'ml-team-repositories', 'ops-tickets', 'ci-callers']);
    expect(await loadPolicy({ POLICY_FILE: path })).toBe(first);
    writeFileSync(path, GPU);
    const second = await loadPolicy({ POLICY_FILE: path });
    expect(second).not.toBe(first);
    expect(second?.rules.map((r) => r.name)).toEqual(['gpu-capacity', 'ml-notebooks']);
  });

  it('fails loudly: an unreadable file is a configuration error, a broken document names its problems', async () => {
    await expect(loadPolicy({ POLICY_FILE: join(dir, 'missing.yaml') })).rejects.toThrow(
      new ConfigError('POLICY_FILE', 'names a file that cannot be read (ENOENT)'),
    );
    const broken = file('broken.yaml', ALLOWLIST.replace('provider: jira', 'provider: jra'));
    const error = await loadPolicy({ POLICY_FILE: broken }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyDocumentError);
    expect((error as Error).message).toBe(
      `${broken}:32:17 rules.2.match.provider.0 (rule ops-tickets): must be one of: github, gitlab, jira, api, queue`,
    );
    // Not cached: it fails again until fixed, then loads.
    await expect(loadPolicy({ POLICY_FILE: broken })).rejects.toBeInstanceOf(PolicyDocumentError);
    writeFileSync(broken, ALLOWLIST);
    expect((await loadPolicy({ POLICY_FILE: broken }))?.rules).toHaveLength(4);
  });

  it('refuses both sources at once', async () => {
    await expect(loadPolicy({ POLICY_FILE: file('both.yaml', ALLOWLIST), POLICY_PARAMETER: 'p' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      variable: 'POLICY_PARAMETER',
    });
  });
});

describe('loadPolicy from POLICY_PARAMETER (Secrets Manager)', () => {
  const sm = mockClient(SecretsManagerClient);
  const SECRET = 'hwc-provisioner-test-policy';

  beforeAll(() => vi.useFakeTimers({ toFake: ['Date'] }));
  afterAll(() => {
    vi.useRealTimers();
    sm.restore();
    resetSecrets();
  });
  beforeEach(() => {
    sm.reset();
    resetSecrets();
  });

  it('reads the secret’s text, and a new policy once the cached one is SECRETS_MAX_AGE_SECONDS old', async () => {
    sm.on(GetSecretValueCommand, { SecretId: SECRET }).resolves({ SecretString: ALLOWLIST });
    const env = { POLICY_PARAMETER: SECRET, SECRETS_MAX_AGE_SECONDS: '60' };
    const first = await loadPolicy(env);
    expect(first?.file).toBe(SECRET);
    expect(first?.rules).toHaveLength(4);

    sm.on(GetSecretValueCommand, { SecretId: SECRET }).resolves({ SecretString: GPU });
    vi.advanceTimersByTime(59_000);
    expect(await loadPolicy(env)).toBe(first);
    vi.advanceTimersByTime(2_000);
    expect((await loadPolicy(env))?.rules.map((r) => r.name)).toEqual(['gpu-capacity', 'ml-notebooks']);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('fails on a secret without text and on a broken document', async () => {
    sm.on(GetSecretValueCommand, { SecretId: SECRET }).resolves({ SecretBinary: new Uint8Array([1]) });
    await expect(loadPolicy({ POLICY_PARAMETER: SECRET })).rejects.toMatchObject({ code: 'CONFIG_INVALID', variable: 'POLICY_PARAMETER' });
    resetSecrets();
    sm.on(GetSecretValueCommand, { SecretId: SECRET }).resolves({ SecretString: 'kind: Policy\n' });
    await expect(loadPolicy({ POLICY_PARAMETER: SECRET })).rejects.toThrow(`${SECRET}:1:1 apiVersion: is required: hwc-provisioner.io/v1`);
  });

  it('refuses a malformed SECRETS_MAX_AGE_SECONDS', async () => {
    await expect(loadPolicy({ POLICY_PARAMETER: SECRET, SECRETS_MAX_AGE_SECONDS: 'soon' })).rejects.toMatchObject({
      variable: 'SECRETS_MAX_AGE_SECONDS',
    });
  });
});
