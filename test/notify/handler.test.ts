/** functions/notify.ts as Lambda runs it: configuration from the environment, the sample SQS event from events/. */
import { readFileSync } from 'node:fs';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext } from '../../local/runner';
import { ConfigError, parseEnv, SecretsEnvSchema } from '../../shared/config';
import { verifyLink } from '../../shared/http/links';
import { startFeedbackProviders, type FeedbackProviders } from '../../local/fake-providers/feedback';
import { useLocalResources, type LocalStack } from '../setup/stack';

const LINK_KEY = 'ui-signing-key-for-handler-tests-0123456789';
const SECRET = `whsec_${Buffer.from('another-32-byte-secret-for-tests').toString('base64')}`;
const load = () => JSON.parse(readFileSync('events/notify-sqs.json', 'utf8')) as SQSEvent;

describe('notify Lambda handler with the sample event', () => {
  let stack: LocalStack;
  let feedback: FeedbackProviders;
  let handler: (event: SQSEvent, context: Context) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

  beforeAll(async () => {
    stack = await useLocalResources();
    feedback = await startFeedbackProviders({ githubToken: 'ghp_handler', gitlabToken: 'gl', jiraEmail: 'a@b.c', jiraToken: 'j' });
    feedback.subscriber('ops', SECRET);
    Object.assign(process.env, stack.env, {
      GITHUB_TOKEN: 'ghp_handler',
      GITHUB_API_URL: feedback.githubUrl,
      PUBLIC_BASE_URL: 'https://hwcp.example.com',
      UI_SIGNING_KEY: LINK_KEY,
      LINK_TTL_DAYS: '7',
      WEBHOOK_SUBSCRIBERS: JSON.stringify([{ url: feedback.subscriberUrl('ops'), secret: SECRET }]),
      NOTIFY_RETRY_BASE_MS: '10',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    ({ handler } = (await import('../../functions/notify')) as never);
  });
  afterAll(async () => {
    stack.close();
    await feedback.close();
  });

  it('reports both records (raw and SNS-envelope delivery): a failure status and a signed delivery each', async () => {
    const result = await handler(load(), lambdaContext({ functionName: 'notify', timeoutMs: 60_000 }));
    expect(result.batchItemFailures).toEqual([]);
    expect(feedback.statuses).toEqual([
      expect.objectContaining({
        repository: 'acme/infra',
        sha: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
        context: 'hwc-provisioner/Notebook/notebooks-test',
        state: 'failure',
        description: 'Failed: CREATE_FAILED: flavor modelarts.vm.cpu.sim-fail is sold out in cn-north-4a',
        target_url: expect.stringMatching(/^https:\/\/hwcp\.example\.com\/ui\/requests\/req_3v6h1c0x4k2m8n5p7q9r1s3t5v\?t=/),
      }),
    ]);
    // Signed with UI_SIGNING_KEY from the secrets, for LINK_TTL_DAYS.
    const token = new URL(feedback.statuses[0]!.target_url!).searchParams.get('t')!;
    const { expiresAt } = verifyLink(token, LINK_KEY, new Date(), 'req_3v6h1c0x4k2m8n5p7q9r1s3t5v');
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(7 * 86_400_000 - 60_000);
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(7 * 86_400_000);
    expect(feedback.deliveries.map((d) => [JSON.parse(d.body).type, d.verified])).toEqual([
      ['hwc-provisioner.resource.failed', true],
      ['hwc-provisioner.request.completed', true],
    ]);
    // The same batch again (an SQS redelivery): nothing is written or sent twice.
    expect((await handler(load(), lambdaContext())).batchItemFailures).toEqual([]);
    expect(feedback.statuses).toHaveLength(1);
    expect(feedback.deliveries).toHaveLength(2);
  });

  it('fails (towards the DLQ) a record that is not an event, and only that one', async () => {
    const event = load();
    event.Records[0]!.body = '{"hello":"world"}';
    const result = await handler(event, lambdaContext());
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]!.messageId }]);
  });

  it('refuses a malformed WEBHOOK_SUBSCRIBERS without echoing its secrets', () => {
    const bad = JSON.stringify([{ url: 'https://x.example/hook', secret: 'not-a-whsec-secret-value' }]);
    expect(() => parseEnv(SecretsEnvSchema, { WEBHOOK_SUBSCRIBERS: bad })).toThrow(ConfigError);
    try {
      parseEnv(SecretsEnvSchema, { WEBHOOK_SUBSCRIBERS: bad });
    } catch (error) {
      expect((error as Error).message).toMatch(/^configuration: WEBHOOK_SUBSCRIBERS is invalid/);
      expect((error as Error).message).not.toContain('not-a-whsec');
    }
    expect(() => parseEnv(SecretsEnvSchema, { WEBHOOK_SUBSCRIBERS: '[{"url": "https://x.example", "secret": "whsec_c2hvcnQ="}]' })).toThrow(
      /24 to 64 bytes/,
    );
  });
});
