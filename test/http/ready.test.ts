/**
 * AppServices.ready: the webhook function loads the table's and the topic's clients only for the routes that use
 * them. A provider delivery must never need them; every other route must have them loaded before it reads `intake`.
 */
import examples from '@octokit/webhooks-examples';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppServices } from '../../shared/http/app';
import { createWholeApp } from '../../shared/http/app';
import { useLocalResources, type LocalStack } from '../setup/stack';
import { hubSignature, intakeDepsFor, memoryLogger, SECRETS } from './helpers';

const push = (examples as unknown as { name: string; examples: Record<string, unknown>[] }[])
  .find((e) => e.name === 'push')!
  .examples.find((e) => e.ref === 'refs/heads/master' && !e.deleted)!;

describe('AppServices.ready', () => {
  let stack: LocalStack;
  let readyCalls = 0;
  let app: ReturnType<typeof createWholeApp>;

  beforeAll(async () => {
    stack = await useLocalResources();
    let loaded = false;
    const intake = intakeDepsFor(stack);
    // As the webhook function's services behave: `intake` is there only once `ready` has run.
    const services: AppServices = {
      async ready() {
        readyCalls++;
        loaded = true;
      },
      get intake() {
        if (!loaded) throw new Error('intake read before ready()');
        return intake;
      },
      intakeQueue: { sqs: stack.sqs, queueUrl: stack.queues.intake.url },
      trackedBranches: [],
    };
    app = createWholeApp({ logger: memoryLogger(), secrets: async () => SECRETS, services: () => services });
  });
  afterAll(() => stack.close());

  it('is not called for a provider delivery, and is called before an API route or a page reads the table', async () => {
    const body = JSON.stringify(push);
    const delivered = await app.request('/webhooks/github', {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': 'ready-1',
        'x-hub-signature-256': hubSignature(SECRETS.GITHUB_WEBHOOK_SECRET!, body),
      },
    });
    expect(delivered.status).toBe(202);
    expect(readyCalls).toBe(0);
    await stack.drainQueue(stack.queues.intake.url, { count: 1 });

    const read = await app.request('/requests/req_00000000000000000000000000', {
      headers: { authorization: `Bearer ${SECRETS.API_TOKENS![0]!.token}` },
    });
    expect(read.status).toBe(404);
    expect(readyCalls).toBe(1);

    const page = await app.request('/ui');
    expect(page.status).toBe(302);
    expect(readyCalls).toBe(2);
  });
});
