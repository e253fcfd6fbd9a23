/**
 * POST /requests with hostile but well-formed manifests, deployed as intake runs (events on): the answer is
 * a 202 or a 422 with a bounded report, never a 500, and the rejection is on record.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createApp } from '../../shared/http/app';
import { useLocalResources, type LocalStack } from '../setup/stack';
import { intakeDepsFor, memoryLogger, SECRETS } from './helpers';

const EDGE = parse(readFileSync('examples/edge-deployment.yaml', 'utf8')) as Record<string, any>;
const AUTH = { authorization: `Bearer ${SECRETS.API_TOKENS[0]!.token}` };
const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).filter((key) => key !== '__proto__');

describe('POST /requests with hostile manifests', () => {
  let stack: LocalStack;
  let app: ReturnType<typeof createApp>;
  const logger = memoryLogger();

  beforeAll(async () => {
    stack = await useLocalResources();
    await stack.subscribeQueue(stack.topicArn, stack.queues.notify.arn);
    const intake = { ...intakeDepsFor(stack), topic: { sns: stack.sns, topicArn: stack.topicArn } };
    const services = { intake, intakeQueue: { sqs: stack.sqs, queueUrl: stack.queues.intake.url }, trackedBranches: [] };
    app = createApp({ logger, secrets: async () => SECRETS, services: () => services });
  });
  afterAll(() => stack.close());

  const post = (body: string, type = 'application/yaml') =>
    app.request('/requests', { method: 'POST', body, headers: { 'content-type': type, ...AUTH } });

  it('accepts labels keyed by any Object.prototype member name (202), YAML or JSON', async () => {
    const labels = Object.fromEntries(PROTOTYPE_KEYS.map((key) => [key, 'v']));
    const yaml = await post(stringify({ ...EDGE, metadata: { name: 'proto-yaml', labels } }));
    expect(yaml.status).toBe(202);
    const json = await post(
      JSON.stringify([{ ...EDGE, metadata: { name: 'proto-json', labels: { constructor: 'v' } } }]),
      'application/json',
    );
    expect(json.status).toBe(202);
    const { requestId } = (await json.json()) as { requestId: string };
    expect((await app.request(`/requests/${requestId}`, { headers: AUTH })).status).toBe(200);
    await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 300 });
  });

  const hostile: [string, string][] = [
    ['an unknown key of 600,000 characters', stringify({ ...EDGE, metadata: { name: 'a', ['k'.repeat(600_000)]: 'x' } })],
    ['a kind of 900,000 characters', stringify({ ...EDGE, kind: 'K'.repeat(900_000) })],
    [
      'fifty unknown keys of 15,000 characters',
      stringify({
        ...EDGE,
        metadata: { name: 'a', ...Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${i}`.padEnd(15_000, 'k'), 'x'])) },
      }),
    ],
    ['a null key', stringify(EDGE).replace('metadata:\n', 'metadata:\n  labels:\n    ~: x\n')],
    ['a constructor key where none is allowed', JSON.stringify({ ...EDGE, constructor: 'x' })],
  ];

  for (const [what, body] of hostile) {
    it(`answers ${what} with a bounded 422, and records the rejection`, async () => {
      const response = await post(body);
      expect(response.status).toBe(422);
      const text = await response.text();
      expect(Buffer.byteLength(text)).toBeLessThan(100 * 1024);
      const { error } = JSON.parse(text);
      expect(error.code).toBe('MANIFEST_INVALID');
      const view = (await (await app.request(`/requests/${error.details.requestId}`, { headers: AUTH })).json()) as { state: string };
      expect(view.state).toBe('Rejected');
    });
  }

  it('logged no error for any of them', async () => {
    await stack.drainQueue(stack.queues.notify.url, { waitMs: 300 });
    expect(logger.lines.filter((line) => line.startsWith('error'))).toEqual([]);
  });
});
