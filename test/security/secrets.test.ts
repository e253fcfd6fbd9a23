/**
 * Secrets hygiene: with known (configured) credentials, every path, errors included, runs while all logs are
 * captured; afterwards no log line, stored item or queued message holds any secret value, and Huawei errors
 * are logged with their request id and error code but never with the signed headers.
 */
import { readFileSync } from 'node:fs';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse, stringify } from 'yaml';
import { startSimulator, type RunningSimulator } from '../../local/huaweicloud-simulator/index';
import { successfulRecords, toSqsRecord } from '../../local/runner';
import { dispatchBatchHandler } from '../../shared/queue/dispatch-batch';
import { cloudApi } from '../../shared/reconcile/cloud';
import type { ReconcileDeps } from '../../shared/reconcile/dispatch';
import { createApp, type AppServices } from '../../shared/http/app';
import { HuaweiCloudClient } from '../../shared/huaweicloud/client';
import { processIntakeMessage, type ProviderSettings } from '../../shared/intake/service';
import { pollTick } from '../../shared/reconcile/poll';
import { getRequestWithResources } from '../../shared/store/requests';
import { allKinds } from '../execution/harness';
import { startFakeProviders, type FakeProviders } from '../../local/fake-providers/git';
import { fakeProviderSettings, hubSignature, intakeDepsFor, SECRETS } from '../http/helpers';
import { useLocalResources, type LocalStack } from '../setup/stack';

const PROJECT = '5f1e0c3a9b7d4e2f8a6c1b3d5e7f9a0b';
const AK = 'HWCPSECRETTESTAK7Q2Z';
const SK = 'hwcp-secret-test-sk-9f8e7d6c5b4a3210';
const WRONG_SK = 'hwcp-wrong-sk-0123456789abcdefghij';
const API_TOKEN = 'api-token-for-tests-0123456789abcdef';
/** Every configured secret value; none may appear anywhere. */
const SECRET_VALUES = [
  SECRETS.GITHUB_WEBHOOK_SECRET!,
  SECRETS.GITLAB_WEBHOOK_TOKEN!,
  SECRETS.JIRA_WEBHOOK_SECRET!,
  API_TOKEN,
  SECRETS.GITHUB_TOKEN!,
  SECRETS.GITLAB_TOKEN!,
  AK,
  SK,
  WRONG_SK,
];
const SIGNED_HEADER = /authorization|signature=|sdk-hmac-sha256|x-sdk-date|access=/i;

const POOL = readFileSync('examples/resource-pool.yaml', 'utf8');

/** A logger that records structured lines exactly as they would be serialised. */
function captureLogger(lines: string[], name: string) {
  const push = (level: string) => (message: string, extra?: Record<string, unknown>) =>
    lines.push(`${name} ${level} ${message} ${JSON.stringify(extra ?? {}, errorReplacer)}`);
  return { info: push('info'), warn: push('warn'), error: push('error') };
}

/** Errors logged as Powertools would: name, message, stack, cause chain and own fields. */
function errorReplacer(_key: string, value: unknown) {
  if (!(value instanceof Error)) return value;
  return { ...value, name: value.name, message: value.message, stack: value.stack, cause: value.cause };
}

function notebook(suffix: string, mutate: (doc: any) => void = () => {}): string {
  const doc = parse(allKinds(suffix).split('---\n')[2]!);
  delete doc.spec.poolRef;
  mutate(doc);
  return stringify(doc);
}

describe('secrets never reach logs, the table or queues', () => {
  let stack: LocalStack;
  let simulator: RunningSimulator;
  let providers: FakeProviders;
  const lines: string[] = [];
  const restores: (() => void)[] = [];

  beforeAll(async () => {
    // Everything written to the console or the process streams while the stack runs.
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      const spy = vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(`console.${method} ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a, errorReplacer))).join(' ')}`);
      });
      restores.push(() => spy.mockRestore());
    }
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream);
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        lines.push(`stream ${String(chunk)}`);
        return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write;
      restores.push(() => (stream.write = original));
    }
    stack = await useLocalResources();
    await stack.subscribeQueue(stack.topicArn, stack.queues.notify.arn);
    simulator = await startSimulator({ port: 0, ak: AK, sk: SK, projectId: PROJECT, logger: (line) => lines.push(`simulator ${line}`) });
    providers = await startFakeProviders({ githubToken: SECRETS.GITHUB_TOKEN!, gitlabToken: SECRETS.GITLAB_TOKEN! });
  });
  afterAll(async () => {
    for (const restore of restores.reverse()) restore();
    stack.close();
    await simulator.close();
    await providers.close();
  });

  function executionDeps(sk: string, logName: string): ReconcileDeps {
    const cloud = new HuaweiCloudClient({
      credentials: { ak: AK, sk },
      modelartsEndpoint: simulator.url,
      iefEndpoint: simulator.url,
      connectTimeoutMs: 500,
      readTimeoutMs: 1500,
      retryBudgetMs: 300,
      retryBaseMs: 20,
      retryMaxDelayMs: 50,
      logger: captureLogger(lines, `huawei-${logName}`),
    });
    return {
      table: { ddb: stack.ddb, tableName: stack.tableName },
      topic: { sns: stack.sns, topicArn: stack.topicArn },
      dispatch: { sqs: stack.sqs, queueUrl: stack.queues.dispatch.url },
      cloud: cloudApi(cloud),
      now: () => new Date(),
      logger: captureLogger(lines, `dispatch-${logName}`),
      settings: { leaseSeconds: 1, waitRecheckSeconds: 0.2, pollScale: 0.005, maxReceives: 3 },
    };
  }

  /** One dispatch invocation over the queue, failures back at once; thrown errors are logged as Lambda would. */
  async function dispatchRound(deps: ReconcileDeps): Promise<number> {
    const { Messages = [] } = await stack.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.queues.dispatch.url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 0,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return 0;
    const records = Messages.map((m) => toSqsRecord(m, stack.queues.dispatch.arn));
    const log = captureLogger(lines, 'dispatch-runtime');
    const handler = dispatchBatchHandler(() => ({
      deps,
      sqs: stack.sqs,
      queueUrl: stack.queues.dispatch.url,
      retryBaseSeconds: 0,
      log: log.info,
    }));
    const response = await handler({ Records: records });
    const done = successfulRecords(records, response);
    if (done.length > 0)
      await stack.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: stack.queues.dispatch.url,
          Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
    return Messages.length;
  }

  async function faults(settings: Record<string, number>) {
    const response = await fetch(`${simulator.url}/__sim/faults`, {
      method: 'POST',
      body: JSON.stringify(settings),
      headers: { 'content-type': 'application/json' },
    });
    expect(response.ok).toBe(true);
  }

  const services = (): AppServices => ({
    intake: intakeDepsFor(stack),
    intakeQueue: { sqs: stack.sqs, queueUrl: stack.queues.intake.url },
    trackedBranches: [],
  });
  const app = () => createApp({ logger: captureLogger(lines, 'app'), secrets: async () => SECRETS, services });
  const settings = (): ProviderSettings => fakeProviderSettings(providers, ['provisioning/**/*.yaml']);
  /** Intake as the Lambda runs it: outcomes logged, thrown errors logged with their stack. */
  async function runIntake() {
    const messages = await stack.drainMessages(stack.queues.intake.url, { waitMs: 300 });
    const log = captureLogger(lines, 'intake');
    for (const m of messages) {
      try {
        const outcome = await processIntakeMessage(intakeDepsFor(stack), settings(), { messageId: m.MessageId!, body: m.Body! });
        log.info('intake message processed', { messageId: m.MessageId, outcome });
      } catch (error) {
        log.error('intake record failed', { messageId: m.MessageId, error });
      }
    }
  }

  it('HTTP: forged signatures, wrong tokens, 401s, 415s, 422s and accepted requests', async () => {
    const a = app();
    const push = JSON.stringify({
      ref: 'refs/heads/main',
      before: '0'.repeat(40),
      after: 'a'.repeat(40),
      repository: { id: 1296269, full_name: 'acme/infra', default_branch: 'main' },
    });
    const statuses: number[] = [];
    const call = async (path: string, init: RequestInit) => {
      const response = await a.request(path, init);
      statuses.push(response.status);
      lines.push(`response ${response.status} ${JSON.stringify([...response.headers])} ${await response.text()}`);
    };
    await call('/webhooks/github', {
      method: 'POST',
      body: push,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': 'd-1',
        'x-hub-signature-256': hubSignature('wrong', push),
      },
    });
    await call('/webhooks/github', {
      method: 'POST',
      body: push,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': 'd-1',
        'x-hub-signature-256': hubSignature(SECRETS.GITHUB_WEBHOOK_SECRET!, push),
      },
    });
    await call('/webhooks/github', {
      method: 'POST',
      body: push,
      headers: {
        'content-type': 'text/plain',
        'x-github-event': 'push',
        'x-github-delivery': 'd-2',
        'x-hub-signature-256': hubSignature(SECRETS.GITHUB_WEBHOOK_SECRET!, push),
      },
    });
    await call('/webhooks/gitlab', {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json', 'x-gitlab-token': `${SECRETS.GITLAB_WEBHOOK_TOKEN}x`, 'x-gitlab-event': 'Push Hook' },
    });
    const gl = JSON.stringify({
      object_kind: 'push',
      ref: 'refs/heads/main',
      before: '0'.repeat(40),
      after: 'b'.repeat(40),
      project_id: 7,
      project: { path_with_namespace: 'acme/infra', default_branch: 'main' },
    });
    await call('/webhooks/gitlab', {
      method: 'POST',
      body: gl,
      headers: { 'content-type': 'application/json', 'x-gitlab-token': SECRETS.GITLAB_WEBHOOK_TOKEN!, 'x-gitlab-event': 'Push Hook' },
    });
    const jira = JSON.stringify({
      webhookEvent: 'jira:issue_created',
      issue: { key: 'OPS-1', self: 'https://jira.example.com/rest/api/2/issue/1', fields: { description: '```yaml\nkind: Nope\n```' } },
    });
    await call('/webhooks/jira', {
      method: 'POST',
      body: jira,
      headers: { 'content-type': 'application/json', 'x-hub-signature': hubSignature(SECRETS.GITHUB_WEBHOOK_SECRET!, jira) },
    });
    await call('/webhooks/jira', {
      method: 'POST',
      body: jira,
      headers: { 'content-type': 'application/json', 'x-hub-signature': hubSignature(SECRETS.JIRA_WEBHOOK_SECRET!, jira) },
    });
    await call('/requests', {
      method: 'POST',
      body: POOL,
      headers: { 'content-type': 'application/yaml', authorization: `Bearer ${API_TOKEN}x` },
    });
    await call('/requests', {
      method: 'POST',
      body: POOL,
      headers: { 'content-type': 'application/yaml', authorization: `Basic ${Buffer.from(`ci:${API_TOKEN}`).toString('base64')}` },
    });
    await call('/requests', {
      method: 'POST',
      body: 'kind: Nope',
      headers: { 'content-type': 'application/yaml', authorization: `Bearer ${API_TOKEN}` },
    });
    await call('/requests', {
      method: 'POST',
      body: POOL,
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${API_TOKEN}` },
    });
    await call('/requests/req_0000000000000000000000000a', { headers: { authorization: `Bearer ${SECRETS.GITHUB_TOKEN}` } });
    expect(statuses).toEqual([401, 202, 415, 401, 202, 401, 202, 401, 401, 422, 415, 401]);
  });

  it('intake: provider API errors (401, 500, 404) and a ticket with invalid manifests', async () => {
    providers.commits.set('b'.repeat(40), { 'provisioning/pool.yaml': POOL });
    providers.failNext(1, 401);
    await runIntake();
    // Redelivery after a provider outage.
    const a = app();
    const push = JSON.stringify({
      ref: 'refs/heads/main',
      before: '0'.repeat(40),
      after: 'c'.repeat(40),
      repository: { id: 1296270, full_name: 'acme/other', default_branch: 'main' },
    });
    await a.request('/webhooks/github', {
      method: 'POST',
      body: push,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': 'd-9',
        'x-hub-signature-256': hubSignature(SECRETS.GITHUB_WEBHOOK_SECRET!, push),
      },
    });
    providers.failNext(1, 500);
    await runIntake();
    expect(lines.some((l) => /intake record failed .*HTTP 500/.test(l))).toBe(true);
    expect(lines.some((l) => /intake message processed .*rejected/.test(l))).toBe(true);
  });

  it('Huawei: a wrong SK (401) is logged with X-Request-Id and error_code and never with the signed headers', async () => {
    const requestId = await submitNotebook('wrongsk');
    const deps = executionDeps(WRONG_SK, 'wrongsk');
    for (let i = 0; i < 5 && (await dispatchRound(deps)) > 0; i++);
    const [resource] = (await getRequestWithResources(deps.table, requestId))!.resources;
    expect(resource).toMatchObject({ state: 'Failed', reason: 'APIGW.0301' });
    const failures = lines.filter((l) => l.startsWith('huawei-wrongsk error huawei call failed'));
    expect(failures.length).toBeGreaterThan(0);
    for (const line of failures) {
      const extra = JSON.parse(line.slice(line.indexOf('{')));
      expect(extra).toMatchObject({ status: 401, errorCode: 'APIGW.0301', requestId: expect.stringMatching(/^[0-9a-f]{32}$/) });
      expect(line).not.toMatch(SIGNED_HEADER);
    }
  });

  it('Huawei: injected 5xx, 429 and dropped connections, then success, through the dispatcher and the poller', async () => {
    const deps = executionDeps(SK, 'faults');
    const requestId = await submitNotebook('faults');
    for (const fault of [{ rate500: 1 }, { rate429: 1 }, { rateDrop: 1 }] as Record<string, number>[]) {
      await faults(fault);
      await dispatchRound(deps);
    }
    await faults({});
    const stopAt = Date.now() + 20_000;
    while (Date.now() < stopAt) {
      await dispatchRound(deps);
      await pollTick(deps, { budgetMs: 3_000, concurrency: 4, requeueGraceSeconds: 1 });
      if ((await getRequestWithResources(deps.table, requestId))?.request.completedAt) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const [resource] = (await getRequestWithResources(deps.table, requestId))!.resources;
    expect(['Succeeded', 'Failed']).toContain(resource!.state);
    const logged = lines.filter((l) => l.startsWith('huawei-faults'));
    expect(logged.some((l) => /"status":500/.test(l) && /"errorCode":"ModelArts\./.test(l) && /"requestId":"[0-9a-f]{32}"/.test(l))).toBe(
      true,
    );
    expect(logged.some((l) => /"status":429/.test(l) && /APIGW\.0308/.test(l))).toBe(true);
    for (const line of logged) expect(line).not.toMatch(SIGNED_HEADER);
  });

  async function submitNotebook(suffix: string): Promise<string> {
    const response = await app().request('/requests', {
      method: 'POST',
      body: notebook(suffix, (doc) => (doc.spec.projectId = PROJECT)),
      headers: { 'content-type': 'application/yaml', authorization: `Bearer ${API_TOKEN}` },
    });
    expect(response.status).toBe(202);
    return ((await response.json()) as { requestId: string }).requestId;
  }

  it('no secret value appears in any log line, stored item or queued message', async () => {
    const items: unknown[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await stack.ddb.send(new ScanCommand({ TableName: stack.tableName, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    const messages: string[] = [];
    for (const q of Object.values(stack.queues)) {
      for (const url of [q.url, q.dlqUrl]) {
        const drained = await stack.drainMessages(url, { waitMs: 300 });
        messages.push(...drained.map((m) => JSON.stringify(m)));
      }
    }
    // Enough happened for the scan to mean something.
    expect(items.length).toBeGreaterThan(5);
    expect(messages.some((m) => m.includes('hwc-provisioner.resource.failed'))).toBe(true);
    expect(lines.length).toBeGreaterThan(20);
    const haystacks = { logs: lines.join('\n'), items: JSON.stringify(items), messages: messages.join('\n') };
    for (const [where, text] of Object.entries(haystacks)) {
      for (const secret of SECRET_VALUES) expect(text.includes(secret), `${where} contain ${secret}`).toBe(false);
      expect(text, `${where} hold a signed header`).not.toMatch(/SDK-HMAC-SHA256|Signature=[0-9a-f]{64}/);
    }
  });
});
