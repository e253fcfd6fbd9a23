// One cold start in a fresh Node process: require the bundle, run one invocation, report the times.
// Plain CommonJS (no tsx) so nothing but the bundle is loaded. Args: bundle path, event JSON path, result file.
'use strict';
const started = performance.now();
const { readFileSync, writeFileSync } = require('node:fs');
const { createHmac, randomUUID } = require('node:crypto');

const [bundle, eventFile, resultFile] = process.argv.slice(2);
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
// Fresh ids per run, so every run takes the same path (no duplicate-delivery short cut).
if (event.headers?.['x-github-delivery']) {
  event.headers['x-github-delivery'] = randomUUID();
  const body = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body);
  event.headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', process.env.GITHUB_WEBHOOK_SECRET).update(body).digest('hex')}`;
}
// An API call is made with the bench's token and, as a client retrying nothing would, its own idempotency key.
if (event.headers?.authorization && process.env.BENCH_API_TOKEN) {
  event.headers.authorization = `Bearer ${process.env.BENCH_API_TOKEN}`;
  if (event.headers['idempotency-key']) event.headers['idempotency-key'] = randomUUID();
}
for (const record of event.Records ?? []) {
  record.messageId = randomUUID();
  try {
    const body = JSON.parse(record.body);
    if (body.deliveryId) body.deliveryId = randomUUID();
    if (body.idempotencyKey) body.idempotencyKey = randomUUID();
    if (body.requestId && body.type)
      body.requestId = `req_${randomUUID()
        .replaceAll('-', '')
        .slice(0, 26)
        .replace(/[ilou]/g, 'a')}`;
    record.body = JSON.stringify(body);
  } catch {}
}
const deadline = Date.now() + 60_000;
const context = {
  functionName: 'bench',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench',
  memoryLimitInMB: '1024',
  awsRequestId: randomUUID(),
  logGroupName: '/aws/lambda/bench',
  logStreamName: 'bench',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => deadline - Date.now(),
};

const t0 = performance.now();
const mod = require(bundle);
const t1 = performance.now();
Promise.resolve(mod.handler(event, context)).then(
  (result) => {
    const t2 = performance.now();
    const status =
      result && typeof result === 'object'
        ? (result.statusCode ?? (result.batchItemFailures ? `failures:${result.batchItemFailures.length}` : 'ok'))
        : 'ok';
    writeFileSync(
      resultFile,
      `${JSON.stringify({ loadMs: t1 - t0, invokeMs: t2 - t1, totalMs: t2 - t0, processMs: t2 - started, status })}\n`,
    );
    process.exit(0);
  },
  (error) => {
    // Still a cold start: the time is what it is; the status says the invocation threw.
    const t2 = performance.now();
    const status = `threw ${error?.name || 'error'}: ${String(error?.message || error).slice(0, 200)}`;
    writeFileSync(
      resultFile,
      `${JSON.stringify({ loadMs: t1 - t0, invokeMs: t2 - t1, totalMs: t2 - t0, processMs: t2 - started, status })}\n`,
    );
    process.exit(0);
  },
);
