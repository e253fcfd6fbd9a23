/**
 * Rotation of the deployed secrets (SECRETS_ID): a warm container picks a rotated value up once the cached one is
 * SECRETS_MAX_AGE_SECONDS old, and accepts the previous webhook secret for as long as it is configured.
 *
 * No Secrets Manager emulator exists here (fauxqs serves SQS and SNS only, see local/emulators.ts), so
 * aws-sdk-client-mock answers GetSecretValue, and only that call: reading, caching and expiry are the product's
 * own code and Powertools Parameters'.
 */
import { createHmac } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp, type AppServices } from '../../shared/http/app';
import { verifyCurrentOrPrevious } from '../../shared/intake/auth';
import { loadSecrets, resetSecrets } from '../../shared/secrets';
import { memoryLogger } from './helpers';

const OLD = { github: 'gh-secret-old', gitlab: 'gl-token-old', jira: 'jira-secret-old', api: 'api-token-old-0123456789abcdef0123' };
const NEW = { github: 'gh-secret-new', gitlab: 'gl-token-new', jira: 'jira-secret-new', api: 'api-token-new-0123456789abcdef0123' };

const stored = (current: typeof OLD, previous?: typeof OLD) =>
  JSON.stringify({
    GITHUB_WEBHOOK_SECRET: current.github,
    GITLAB_WEBHOOK_TOKEN: current.gitlab,
    JIRA_WEBHOOK_SECRET: current.jira,
    API_TOKENS: `ci=${current.api}`,
    ...(previous
      ? {
          GITHUB_WEBHOOK_SECRET_PREVIOUS: previous.github,
          GITLAB_WEBHOOK_TOKEN_PREVIOUS: previous.gitlab,
          JIRA_WEBHOOK_SECRET_PREVIOUS: previous.jira,
        }
      : {}),
  });

const sign = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
/** The deliveries reach no queue: a ping, a GitLab event intake ignores, a Jira event it ignores; only authentication matters. */
const JIRA_BODY = JSON.stringify({ webhookEvent: 'jira:issue_deleted', issue: { key: 'OPS-1' } });

/** The routes below answer before using any service. */
const services = (): AppServices => ({
  get intake(): never {
    throw new Error('not used');
  },
  get intakeQueue(): never {
    throw new Error('not used');
  },
  trackedBranches: [],
});

describe('secret rotation through Secrets Manager', () => {
  const sm = mockClient(SecretsManagerClient);
  const env = { SECRETS_ID: 'hwc-provisioner-test', SECRETS_MAX_AGE_SECONDS: '300' };
  const app = createApp({ logger: memoryLogger(), secrets: () => loadSecrets(env), services });

  const github = async (secret: string) =>
    (
      await app.request('/webhooks/github', {
        method: 'POST',
        body: '{}',
        headers: { 'x-github-event': 'ping', 'x-github-delivery': 'd-1', 'x-hub-signature-256': sign(secret, '{}') },
      })
    ).status;
  const gitlab = async (token: string) =>
    (
      await app.request('/webhooks/gitlab', {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Note Hook', 'x-gitlab-token': token },
      })
    ).status;
  const jira = async (secret: string) =>
    (
      await app.request('/webhooks/jira', {
        method: 'POST',
        body: JIRA_BODY,
        headers: { 'content-type': 'application/json', 'x-hub-signature': sign(secret, JIRA_BODY) },
      })
    ).status;
  // An id that is not a request id: authenticated, it is 404 without a table read.
  const api = async (token: string) => (await app.request('/requests/not-an-id', { headers: { authorization: `Bearer ${token}` } })).status;
  /** The status each route answers with each generation of secrets. */
  const answers = async (s: typeof OLD) => ({
    github: await github(s.github),
    gitlab: await gitlab(s.gitlab),
    jira: await jira(s.jira),
    api: await api(s.api),
  });
  const accepted = { github: 200, gitlab: 200, jira: 200, api: 404 };
  const refused = { github: 401, gitlab: 401, jira: 401, api: 401 };

  beforeAll(() => vi.useFakeTimers({ toFake: ['Date'] }));
  afterAll(() => {
    vi.useRealTimers();
    sm.restore();
  });
  beforeEach(() => {
    sm.reset();
    resetSecrets();
  });
  afterEach(() => resetSecrets());

  it('uses a rotated secret once the cached one is max age old, and the previous one only while it is configured', async () => {
    sm.on(GetSecretValueCommand, { SecretId: env.SECRETS_ID }).resolves({ SecretString: stored(OLD) });
    expect(await answers(OLD)).toEqual(accepted);
    expect(await answers(NEW)).toEqual(refused);

    // Step 1 of the rotation: the new secrets are current, the old ones previous (API tokens have no overlap).
    sm.on(GetSecretValueCommand, { SecretId: env.SECRETS_ID }).resolves({ SecretString: stored(NEW, OLD) });
    vi.advanceTimersByTime(299_000);
    expect(await answers(NEW)).toEqual(refused);
    vi.advanceTimersByTime(2_000);
    expect(await answers(NEW)).toEqual(accepted);
    expect(await answers(OLD)).toEqual({ github: 200, gitlab: 200, jira: 200, api: 401 });

    // The overlap ends: the previous secrets are removed, and refused once the cache has expired.
    sm.on(GetSecretValueCommand, { SecretId: env.SECRETS_ID }).resolves({ SecretString: stored(NEW) });
    vi.advanceTimersByTime(301_000);
    expect(await answers(OLD)).toEqual(refused);
    expect(await answers(NEW)).toEqual(accepted);

    // One read per max age, however many requests came in between.
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(3);
  });

  it('shares one read among concurrent first requests, and keeps serving the last value when a re-read fails', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: stored(OLD) });
    expect(await Promise.all([github(OLD.github), github(OLD.github), gitlab(OLD.gitlab), api(OLD.api)])).toEqual([200, 200, 200, 404]);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);

    // Secrets Manager fails: the last value is served, and asked for again only a minute later, not on every request.
    sm.on(GetSecretValueCommand).rejects(new Error('Secrets Manager is unavailable'));
    vi.advanceTimersByTime(301_000);
    expect(await answers(OLD)).toEqual(accepted);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    vi.advanceTimersByTime(59_000);
    expect(await answers(OLD)).toEqual(accepted);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);

    // Back: the next read after the hold picks up whatever is stored now.
    sm.on(GetSecretValueCommand).resolves({ SecretString: stored(NEW) });
    vi.advanceTimersByTime(2_000);
    expect(await answers(NEW)).toEqual(accepted);
    expect(await answers(OLD)).toEqual(refused);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(3);
  });

  it('answers 503 naming SECRETS_ID when the stored secret is not JSON, without its content', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: `{"GITHUB_WEBHOOK_SECRET": "${OLD.github}", oops` });
    const response = await app.request('/webhooks/github', {
      method: 'POST',
      body: '{}',
      headers: { 'x-github-event': 'ping', 'x-hub-signature-256': sign(OLD.github, '{}') },
    });
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID', variable: 'SECRETS_ID' } });
    expect(text).not.toContain(OLD.github);
  });
});

describe('verifyCurrentOrPrevious', () => {
  it('always checks both secrets, whichever matches, so timing does not tell which one did', () => {
    for (const presented of ['current', 'previous', 'neither']) {
      const checked: string[] = [];
      const ok = verifyCurrentOrPrevious('current', 'previous', (secret) => {
        checked.push(secret);
        return secret === presented;
      });
      expect(ok).toBe(presented !== 'neither');
      expect(checked).toEqual(['current', 'previous']);
    }
  });

  it('accepts nothing without a current secret, even a matching previous one', () => {
    expect(verifyCurrentOrPrevious(undefined, 'previous', () => true)).toBe(false);
    expect(verifyCurrentOrPrevious('', 'previous', () => true)).toBe(false);
  });
});
