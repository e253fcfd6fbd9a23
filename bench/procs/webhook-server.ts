/**
 * The server side of the webhook benchmark, one per process: `ours` is the product's Hono app exactly as
 * local/stack.ts serves it (same logger, secrets and services wiring, Powertools at INFO as deployed);
 * `baseline` is the least a webhook receiver can do: verify the signature, put the raw body on the queue, 202.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Hono } from 'hono';

const mode = process.argv[2];

async function buildApp(): Promise<Hono> {
  if (mode === 'ours') {
    const [{ createApp }, { apiServices }, { createLogger }, { loadSecrets }] = await Promise.all([
      import('../../shared/http/app'),
      import('../../shared/http/api-services'),
      import('../../shared/lambda'),
      import('../../shared/secrets'),
    ]);
    return createApp({ logger: createLogger('hwc-provisioner-webhook').app, secrets: () => loadSecrets(), services: apiServices });
  }
  if (mode === 'baseline') {
    const secret = process.env.GITHUB_WEBHOOK_SECRET!;
    const queueUrl = process.env.INTAKE_QUEUE_URL!;
    // Same client configuration as shared/aws.ts builds from the same environment.
    const sqs = new SQSClient({ region: process.env.AWS_REGION!, endpoint: process.env.AWS_ENDPOINT_URL_SQS! });
    const app = new Hono();
    app.post('/webhooks/github', async (c) => {
      const body = Buffer.from(await c.req.arrayBuffer());
      const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
      const given = Buffer.from(c.req.header('x-hub-signature-256') ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return c.text('unauthorized', 401);
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body.toString('utf8') }));
      return c.json({ ok: true }, 202);
    });
    return app;
  }
  throw new Error(`unknown mode ${mode}`);
}

const app = await buildApp();
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => process.send?.({ port: info.port }));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('disconnect', stop);
