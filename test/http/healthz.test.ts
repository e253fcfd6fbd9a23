/**
 * GET /healthz on the deployed entry point (functions/webhook.ts), cold-started with a given environment: 200 only
 * when the webhook's configuration is whole and its secrets readable, otherwise 503 naming the variable (never
 * its value), and every other route answers the same 503.
 */
import { readFileSync } from 'node:fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../local/runner';
import { FUNCTION_ENV, InfraEnvSchema, SecretsEnvSchema } from '../../shared/config';

type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<{ statusCode: number; body: string }>;

const EVENT = JSON.parse(readFileSync('events/api-get-request.json', 'utf8')) as APIGatewayProxyEventV2;
/** Every variable the product reads: all are cleared before each cold start, so only what a test gives is set. */
const KNOWN = new Set([
  ...Object.values(FUNCTION_ENV).flatMap((f) => Object.keys(f.schema.shape)),
  ...Object.keys(SecretsEnvSchema.shape),
  ...Object.keys(InfraEnvSchema.shape),
]);
const TOKEN = 'healthz-test-token-0123456789abcdef';
const CONFIGURED = {
  INTAKE_QUEUE_URL: 'http://127.0.0.1:9/000000000000/hwcp-healthz-intake',
  API_TOKENS: `ci=${TOKEN}`,
};

function request(method: string, path: string, headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
  const event = structuredClone(EVENT);
  event.rawPath = path;
  event.requestContext.http.method = method;
  event.requestContext.http.path = path;
  event.routeKey = `${method} ${path}`;
  event.headers = { ...event.headers, ...headers };
  delete event.pathParameters;
  return event;
}

/** A new container: fresh modules (every configuration cache empty) over exactly `env`; returns the handler and its log. */
async function coldStart(env: Record<string, string>): Promise<{ handler: HttpHandler; log: string[] }> {
  for (const key of KNOWN) vi.stubEnv(key, undefined);
  for (const [key, value] of Object.entries(env)) vi.stubEnv(key, value);
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  // Powertools then logs through the global console, where the lines can be collected.
  vi.stubEnv('POWERTOOLS_DEV', 'true');
  vi.resetModules();
  // Powertools' secret cache lives in node_modules, which resetModules does not reload.
  (await import('../../shared/secrets')).resetSecrets();
  const log: string[] = [];
  for (const method of ['debug', 'info', 'log', 'warn', 'error'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      log.push(args.map(String).join(' '));
    });
  }
  const { handler } = (await import('../../functions/webhook')) as unknown as { handler: HttpHandler };
  return { handler, log };
}

async function call(handler: HttpHandler, event: APIGatewayProxyEventV2) {
  const response = await handler(event, lambdaContext({ functionName: 'webhook' }));
  return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, any> };
}

describe('GET /healthz', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('answers 503 naming the first missing variable when nothing is configured, on every route alike', async () => {
    const { handler, log } = await coldStart({});
    const expected = {
      ok: false,
      error: {
        code: 'CONFIG_INVALID',
        variable: 'INTAKE_QUEUE_URL',
        message: 'configuration: INTAKE_QUEUE_URL is required but not set',
      },
    };
    expect(await call(handler, request('GET', '/healthz'))).toEqual({ status: 503, body: expected });
    expect(await call(handler, request('POST', '/webhooks/github', { 'x-github-event': 'ping' }))).toEqual({ status: 503, body: expected });
    expect(await call(handler, request('GET', '/requests/req_0123456789abcdefghjkmnpqrs', { authorization: `Bearer ${TOKEN}` }))).toEqual({
      status: 503,
      body: expected,
    });
    // The cold start said so already, before any request.
    expect(log[0]).toMatch(/"message":\s*"configuration invalid"[\s\S]*"variable":\s*"INTAKE_QUEUE_URL"/);
  });

  it('names an invalid variable without echoing its value', async () => {
    const { handler } = await coldStart({ ...CONFIGURED, INTAKE_QUEUE_URL: 'not-a-url-but-maybe-private' });
    const { status, body } = await call(handler, request('GET', '/healthz'));
    expect(status).toBe(503);
    expect(body.error).toMatchObject({ code: 'CONFIG_INVALID', variable: 'INTAKE_QUEUE_URL' });
    expect(JSON.stringify(body)).not.toContain('maybe-private');
  });

  it('checks local secrets too: a malformed API_TOKENS is named, its token never shown', async () => {
    const { handler, log } = await coldStart({ ...CONFIGURED, API_TOKENS: 'ci=too-short-secret-value' });
    const { status, body } = await call(handler, request('GET', '/healthz'));
    expect(status).toBe(503);
    expect(body.error).toMatchObject({ code: 'CONFIG_INVALID', variable: 'API_TOKENS' });
    expect(JSON.stringify(body)).not.toContain('too-short-secret-value');
    expect(log.join('')).not.toContain('too-short-secret-value');
  });

  it('answers 200 once the configuration is whole', async () => {
    const { handler } = await coldStart(CONFIGURED);
    expect(await call(handler, request('GET', '/healthz'))).toEqual({ status: 200, body: { ok: true } });
  });

  // No Secrets Manager emulator exists here (fauxqs serves SQS and SNS only): aws-sdk-client-mock answers
  // GetSecretValue, and only that call.
  it('reports a deployed secret that cannot be read, or is not JSON, without its content', async () => {
    const sm = mockClient(SecretsManagerClient);
    try {
      const { API_TOKENS: _local, ...deployed } = CONFIGURED;
      sm.on(GetSecretValueCommand).rejects(
        Object.assign(new Error('User is not authorized to perform secretsmanager:GetSecretValue'), { name: 'AccessDeniedException' }),
      );
      let started = await coldStart({ ...deployed, SECRETS_ID: 'hwcp-healthz' });
      let answer = await call(started.handler, request('GET', '/healthz'));
      expect(answer).toEqual({ status: 503, body: { ok: false, error: { code: 'SECRETS_UNAVAILABLE', message: expect.any(String) } } });
      expect(started.log.join('')).toContain('not authorized');

      sm.on(GetSecretValueCommand).resolves({ SecretString: '{"API_TOKENS": "ci=leaky-secret-value-0123456789abcdef", oops' });
      started = await coldStart({ ...deployed, SECRETS_ID: 'hwcp-healthz' });
      answer = await call(started.handler, request('GET', '/healthz'));
      expect(answer).toEqual({
        status: 503,
        body: { ok: false, error: { code: 'CONFIG_INVALID', variable: 'SECRETS_ID', message: expect.any(String) } },
      });
      expect(JSON.stringify(answer.body)).not.toContain('leaky');

      sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ API_TOKENS: `ci=${TOKEN}` }) });
      started = await coldStart({ ...deployed, SECRETS_ID: 'hwcp-healthz' });
      expect(await call(started.handler, request('GET', '/healthz'))).toEqual({ status: 200, body: { ok: true } });
    } finally {
      sm.restore();
    }
  });
});
