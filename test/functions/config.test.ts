/**
 * Each function's configuration: serverless.yml gives every function exactly the variables its schema
 * (FUNCTION_ENV) declares, each function starts and builds its wiring from those alone, and a missing or
 * invalid one fails the cold start naming the variable.
 */
import { readFileSync } from 'node:fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, Context, ScheduledEvent, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { SIMULATOR_DEFAULTS } from '../../local/huaweicloud-simulator/index';
import { MAX_RECEIVE_COUNT } from '../../local/resources';
import { lambdaContext } from '../../local/runner';
import {
  ConfigError,
  executionConfig,
  FUNCTION_ENV,
  FUNCTION_NAMES,
  InfraEnvSchema,
  parseFunctionEnv,
  SecretsEnvSchema,
  type FunctionName,
} from '../../shared/config';
import { useLocalResources, type LocalStack } from '../setup/stack';

const sls = parse(readFileSync('serverless.yml', 'utf8'), { logLevel: 'silent' }) as {
  provider: { environment?: Record<string, unknown> };
  functions: Record<string, { environment?: Record<string, unknown> }>;
  resources: { Resources: Record<string, { Properties?: { RedrivePolicy?: { maxReceiveCount?: number } } }> };
};

/** As Lambda sees it: the provider's variables and the function's own; POWERTOOLS_* configure Powertools, not us. */
function deployedNames(name: FunctionName): string[] {
  const names = new Set([...Object.keys(sls.provider.environment ?? {}), ...Object.keys(sls.functions[name]?.environment ?? {})]);
  return [...names].filter((n) => !n.startsWith('POWERTOOLS_')).sort();
}

const shape = (name: FunctionName) => FUNCTION_ENV[name].schema.shape as Record<string, { safeParse(v: unknown): { success: boolean } }>;
/** Variables the schema cannot do without: neither optional nor defaulted. */
const required = (name: FunctionName) => Object.keys(shape(name)).filter((key) => !shape(name)[key]!.safeParse(undefined).success);

describe('serverless.yml gives each function exactly its variables', () => {
  it.each(FUNCTION_NAMES)('%s: only variables its schema declares, and every one it requires', (name) => {
    const given = deployedNames(name);
    expect(given.filter((n) => !(n in shape(name)))).toEqual([]);
    // AWS_REGION is set by Lambda itself.
    expect(required(name).filter((n) => !given.includes(n) && n !== 'AWS_REGION')).toEqual([]);
    if (FUNCTION_ENV[name].huawei === 'required')
      expect(given).toEqual(expect.arrayContaining(['HUAWEICLOUD_CREDENTIALS_SECRET', 'HUAWEICLOUD_SDK_PROJECT_ID']));
    if (FUNCTION_ENV[name].secrets) expect(given).toContain('SECRETS_ID');
  });

  it('gives the queue URLs only to the functions that send to them', () => {
    const withQueue = (variable: string) => FUNCTION_NAMES.filter((name) => deployedNames(name).includes(variable));
    expect(withQueue('INTAKE_QUEUE_URL')).toEqual(['webhook', 'poll', 'resync']);
    expect(withQueue('DISPATCH_QUEUE_URL')).toEqual(['api', 'intake', 'dispatch', 'poll']);
    expect(withQueue('NOTIFY_QUEUE_URL')).toEqual([]);
    expect(Object.keys(shape('notify')).filter((n) => n.endsWith('_QUEUE_URL'))).toEqual([]);
    // The poller hands corrections of drift to intake; the dispatcher never sends there.
    expect(Object.keys(shape('dispatch'))).not.toContain('INTAKE_QUEUE_URL');
  });

  it('keeps the Huawei AK/SK secret away from the webhook and the notifier, and the stage secret away from dispatch and poll', () => {
    expect(FUNCTION_NAMES.filter((name) => deployedNames(name).includes('HUAWEICLOUD_CREDENTIALS_SECRET'))).toEqual([
      'intake',
      'dispatch',
      'poll',
    ]);
    expect(FUNCTION_NAMES.filter((name) => deployedNames(name).includes('SECRETS_ID'))).toEqual([
      'webhook',
      'api',
      'ui',
      'intake',
      'notify',
      'resync',
    ]);
  });
});

/** Every variable the product reads: all are cleared before each cold start, so only what a test gives is set. */
const KNOWN = new Set([
  ...Object.values(FUNCTION_ENV).flatMap((f) => Object.keys(f.schema.shape)),
  ...Object.keys(SecretsEnvSchema.shape),
  ...Object.keys(InfraEnvSchema.shape),
]);
const STAGE_SECRET = 'hwc-provisioner-test';
const HUAWEI_SECRET = 'hwc-provisioner-test-huawei';

describe('each function starts with only its deployed variables', () => {
  let stack: LocalStack;
  const sm = mockClient(SecretsManagerClient);
  /** A value per deployed variable, as serverless.yml would resolve it against this test's resources. */
  let values: Record<string, string>;

  beforeAll(async () => {
    stack = await useLocalResources();
    values = {
      TABLE_NAME: stack.tableName,
      INTAKE_QUEUE_URL: stack.queues.intake.url,
      DISPATCH_QUEUE_URL: stack.queues.dispatch.url,
      EVENTS_TOPIC_ARN: stack.topicArn,
      SECRETS_ID: STAGE_SECRET,
      SECRETS_MAX_AGE_SECONDS: '300',
      HUAWEICLOUD_CREDENTIALS_SECRET: HUAWEI_SECRET,
      HUAWEICLOUD_REGION: 'cn-north-4',
      HUAWEICLOUD_SDK_PROJECT_ID: SIMULATOR_DEFAULTS.projectId,
      TRACKED_BRANCHES: '',
      PLAN_FORK_PULL_REQUESTS: 'false',
      MANIFEST_GLOBS: 'provisioning/**/*.{yaml,yml,json}',
      PRUNE: 'false',
      PRUNE_REPOSITORIES: '',
      PUBLIC_BASE_URL: '',
      LINK_TTL_DAYS: '30',
      OIDC_ISSUER_URL: '',
      OIDC_CLIENT_ID: '',
      OIDC_SCOPES: 'openid profile',
      OIDC_ROLES: '',
      JIRA_BASE_URL: '',
      JIRA_EMAIL: '',
      JIRA_TRANSITION_ON_SUCCESS: '',
      JIRA_TRANSITION_ON_FAILURE: '',
      POLICY_PARAMETER: '',
      DRIFT_INTERVAL_MINUTES: '30',
      APPROVAL_TIMEOUT_HOURS: '72',
      JIRA_APPROVAL_STATUS: '',
      REQUIRE_PR_APPROVALS: '0',
      RESYNC_REPOSITORIES: '',
      RESYNC_INTERVAL_MINUTES: '10',
    };
    // No Secrets Manager emulator exists here (fauxqs serves SQS and SNS only): aws-sdk-client-mock answers
    // GetSecretValue, and only that call. Everything else goes to the emulators.
    sm.on(GetSecretValueCommand, { SecretId: STAGE_SECRET }).resolves({
      SecretString: JSON.stringify({ API_TOKENS: 'ci=functions-config-token-0123456789ab' }),
    });
    sm.on(GetSecretValueCommand, { SecretId: HUAWEI_SECRET }).resolves({
      SecretString: JSON.stringify({ ak: SIMULATOR_DEFAULTS.ak, sk: SIMULATOR_DEFAULTS.sk }),
    });
  });
  afterAll(() => {
    sm.restore();
    stack.close();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  /** Exactly the function's deployed variables, plus what Lambda itself sets (region, credentials) and the emulators' endpoints. */
  function deployedEnv(name: FunctionName): Record<string, string> {
    const env: Record<string, string> = {};
    for (const variable of deployedNames(name)) {
      expect(values, `a test value for ${variable}`).toHaveProperty(variable);
      env[variable] = values[variable]!;
    }
    const { AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_SNS, AWS_ENDPOINT_URL_DYNAMODB } =
      stack.env;
    return {
      ...env,
      AWS_REGION: AWS_REGION!,
      AWS_ACCESS_KEY_ID: AWS_ACCESS_KEY_ID!,
      AWS_SECRET_ACCESS_KEY: AWS_SECRET_ACCESS_KEY!,
      AWS_ENDPOINT_URL_SQS: AWS_ENDPOINT_URL_SQS!,
      AWS_ENDPOINT_URL_SNS: AWS_ENDPOINT_URL_SNS!,
      AWS_ENDPOINT_URL_DYNAMODB: AWS_ENDPOINT_URL_DYNAMODB!,
    };
  }

  /** A new container: fresh modules over exactly `env`, then the function's module loaded (its cold start). */
  async function coldStart<T>(
    name: FunctionName,
    env: Record<string, string>,
  ): Promise<{ handler: T; runtime: typeof import('../../shared/runtime') }> {
    for (const key of KNOWN) vi.stubEnv(key, undefined);
    for (const [key, value] of Object.entries(env)) vi.stubEnv(key, value);
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    vi.resetModules();
    (await import('../../shared/secrets')).resetSecrets();
    const { handler } = (await import(`../../functions/${name}.ts`)) as { handler: T };
    return { handler, runtime: await import('../../shared/runtime') };
  }

  const quiet = { info() {}, warn() {}, error() {} };
  const load = <T>(file: string): T => JSON.parse(readFileSync(`events/${file}`, 'utf8')) as T;

  it('webhook: /healthz is 200', async () => {
    const { handler } = await coldStart<(event: APIGatewayProxyEventV2, context: Context) => Promise<{ statusCode: number; body: string }>>(
      'webhook',
      deployedEnv('webhook'),
    );
    const health = load<APIGatewayProxyEventV2>('api-get-request.json');
    health.rawPath = '/healthz';
    health.requestContext.http.path = '/healthz';
    expect((await handler(health, lambdaContext())).statusCode).toBe(200);
  });

  it('api: POST /requests records a request, and dry runs get no Huawei client (the API holds no AK/SK)', async () => {
    const { handler, runtime } = await coldStart<
      (event: APIGatewayProxyEventV2, context: Context) => Promise<{ statusCode: number; body: string }>
    >('api', deployedEnv('api'));
    const post = load<APIGatewayProxyEventV2>('api-post-requests.json');
    post.headers.authorization = 'Bearer functions-config-token-0123456789ab';
    expect((await handler(post, lambdaContext())).statusCode).toBe(202);
    expect(runtime.planLookups(2_000).cloud).toBeUndefined();
  });

  it('intake: the sample records become requests', async () => {
    const { handler, runtime } = await coldStart<(event: SQSEvent, context: Context) => Promise<{ batchItemFailures: unknown[] }>>(
      'intake',
      deployedEnv('intake'),
    );
    expect((await handler(load<SQSEvent>('intake-sqs.json'), lambdaContext({ timeoutMs: 60_000 }))).batchItemFailures).toEqual([]);
    // Plans look Huawei up with the AK/SK secret.
    expect((await runtime.providerSettings()).plan?.cloud).toBeDefined();
  });

  it('dispatch and poll: the wiring builds and a tick runs', async () => {
    const dispatch = await coldStart<unknown>('dispatch', deployedEnv('dispatch'));
    expect(() => dispatch.runtime.executionDeps(quiet)).not.toThrow();
    const poll = await coldStart<(event: ScheduledEvent, context: Context) => Promise<{ itemsRead: number }>>('poll', deployedEnv('poll'));
    await expect(poll.handler(load<ScheduledEvent>('poll-schedule.json'), lambdaContext({ timeoutMs: 60_000 }))).resolves.toMatchObject({
      itemsRead: expect.any(Number),
    });
  });

  it('notify: the wiring builds without any queue URL', async () => {
    const env = deployedEnv('notify');
    expect(Object.keys(env).filter((n) => n.endsWith('_QUEUE_URL'))).toEqual([]);
    const { runtime } = await coldStart('notify', env);
    await expect(runtime.notifyDeps(quiet)).resolves.toMatchObject({ subscribers: [] });
  });

  it('notify: rebuilds its wiring when the secrets change, so a rotated provider token is used', async () => {
    const stage = (secrets: Record<string, string>) =>
      sm.on(GetSecretValueCommand, { SecretId: STAGE_SECRET }).resolves({ SecretString: JSON.stringify(secrets) });
    try {
      stage({ GITHUB_TOKEN: 'ghp_before_rotation' });
      // Max age 0: every use reads the secret, so the change shows without waiting.
      const { runtime } = await coldStart('notify', { ...deployedEnv('notify'), SECRETS_MAX_AGE_SECONDS: '0' });
      const first = await runtime.notifyDeps(quiet);
      expect(first.github).toBeDefined();
      expect(await runtime.notifyDeps(quiet)).toBe(first);
      stage({});
      expect((await runtime.notifyDeps(quiet)).github).toBeUndefined();
    } finally {
      stage({ API_TOKENS: 'ci=functions-config-token-0123456789ab' });
    }
  });

  it('resync: the wiring builds from the stage secret and a tick over no branches runs', async () => {
    const { handler } = await coldStart<(event: ScheduledEvent, context: Context) => Promise<{ branches: number; failed: number }>>(
      'resync',
      deployedEnv('resync'),
    );
    await expect(handler(load<ScheduledEvent>('resync-schedule.json'), lambdaContext({ timeoutMs: 60_000 }))).resolves.toMatchObject({
      branches: 0,
      failed: 0,
    });
  });

  it.each([
    ['intake', 'TABLE_NAME'],
    ['dispatch', 'EVENTS_TOPIC_ARN'],
    ['poll', 'HUAWEICLOUD_SDK_PROJECT_ID'],
    ['notify', 'TABLE_NAME'],
    ['resync', 'INTAKE_QUEUE_URL'],
  ] as const)('%s: a cold start without %s fails naming it', async (name, variable) => {
    const { [variable]: _dropped, ...env } = deployedEnv(name);
    const error = await coldStart(name, env).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    expect((error as ConfigError).variable).toBe(variable);
  });
});

describe('parseFunctionEnv', () => {
  const base: Record<FunctionName, Record<string, string>> = {
    webhook: { INTAKE_QUEUE_URL: 'http://q/intake' },
    api: { TABLE_NAME: 't', DISPATCH_QUEUE_URL: 'http://q/dispatch' },
    ui: { TABLE_NAME: 't' },
    intake: { TABLE_NAME: 't', DISPATCH_QUEUE_URL: 'http://q/dispatch' },
    dispatch: {
      TABLE_NAME: 't',
      DISPATCH_QUEUE_URL: 'http://q/dispatch',
      EVENTS_TOPIC_ARN: 'arn:aws:sns:x',
      HUAWEICLOUD_CREDENTIALS_SECRET: 's',
      HUAWEICLOUD_SDK_PROJECT_ID: 'p1',
    },
    poll: {
      TABLE_NAME: 't',
      DISPATCH_QUEUE_URL: 'http://q/dispatch',
      EVENTS_TOPIC_ARN: 'arn:aws:sns:x',
      HUAWEICLOUD_SDK_AK: 'ak',
      HUAWEICLOUD_SDK_SK: 'sk',
      HUAWEICLOUD_SDK_PROJECT_ID: 'p1',
    },
    notify: { TABLE_NAME: 't' },
    resync: { TABLE_NAME: 't', INTAKE_QUEUE_URL: 'http://q/intake' },
  };
  const variableOf = (fn: () => void) => {
    try {
      fn();
    } catch (error) {
      if (error instanceof ConfigError) return error.variable;
      throw error;
    }
    return undefined;
  };

  it.each(FUNCTION_NAMES)('%s: its minimal configuration passes, and each required variable is named when removed', (name) => {
    expect(variableOf(() => parseFunctionEnv(name, base[name]))).toBeUndefined();
    for (const variable of Object.keys(base[name]).filter((v) => required(name).includes(v))) {
      const { [variable]: _dropped, ...env } = base[name];
      expect(
        variableOf(() => parseFunctionEnv(name, env)),
        variable,
      ).toBe(variable);
    }
  });

  it('checks the rules that span Huawei variables where Huawei is required, and only single variables where optional', () => {
    expect(variableOf(() => parseFunctionEnv('dispatch', { ...base.dispatch, HUAWEICLOUD_CREDENTIALS_SECRET: '' }))).toBe(
      'HUAWEICLOUD_SDK_AK',
    );
    expect(variableOf(() => parseFunctionEnv('intake', { ...base.intake, HUAWEICLOUD_CREDENTIALS_SECRET: 's' }))).toBeUndefined();
    expect(variableOf(() => parseFunctionEnv('intake', { ...base.intake, HUAWEICLOUD_REGION: 'north' }))).toBe('HUAWEICLOUD_REGION');
  });

  it('checks the secrets with the rest in local mode (no SECRETS_ID), and leaves a deployed secret to its first read', () => {
    const badTokens = { API_TOKENS: 'ci=short' };
    expect(variableOf(() => parseFunctionEnv('webhook', { ...base.webhook, ...badTokens }))).toBe('API_TOKENS');
    expect(variableOf(() => parseFunctionEnv('notify', { ...base.notify, WEBHOOK_SUBSCRIBERS: 'not json' }))).toBe('WEBHOOK_SUBSCRIBERS');
    expect(variableOf(() => parseFunctionEnv('webhook', { ...base.webhook, ...badTokens, SECRETS_ID: 'stage' }))).toBeUndefined();
    // dispatch and poll read no stage secret at all.
    expect(variableOf(() => parseFunctionEnv('dispatch', { ...base.dispatch, ...badTokens }))).toBeUndefined();
  });

  it('names the variable, never its value', () => {
    const error = (() => {
      try {
        parseFunctionEnv('notify', { TABLE_NAME: 't', SECRETS_MAX_AGE_SECONDS: 'forever-and-a-secret' });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.variable).toBe('SECRETS_MAX_AGE_SECONDS');
    expect(error.message).not.toContain('forever-and-a-secret');
  });
});

describe('DISPATCH_MAX_RECEIVES and the dispatch queue', () => {
  it("is the queue's maxReceiveCount at most, so the dispatcher sees a message's last receive before SQS dead-letters it", () => {
    const deployed = sls.functions.dispatch?.environment?.DISPATCH_MAX_RECEIVES ?? sls.provider.environment?.DISPATCH_MAX_RECEIVES;
    const maxReceives = executionConfig(deployed === undefined ? {} : { DISPATCH_MAX_RECEIVES: String(deployed) }).DISPATCH_MAX_RECEIVES;
    expect(maxReceives).toBeLessThanOrEqual(sls.resources.Resources.DispatchQueue!.Properties!.RedrivePolicy!.maxReceiveCount!);
    // The queues the tests and `npm start` create, too.
    expect(maxReceives).toBeLessThanOrEqual(MAX_RECEIVE_COUNT);
  });
});
