/**
 * Property-based fuzzing of every webhook route and of the requests API, in process (app.request) against the
 * real emulators. FUZZ_RUNS sets the total number of cases (2,000 in `npm test`, 10,000 in `npm run fuzz`);
 * FUZZ_SEED replays a run.
 */
import { QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import fc from 'fast-check';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type AppServices } from '../../shared/http/app';
import { processIntakeMessage, type ProviderSettings } from '../../shared/intake/service';
import type { IntakeDeps } from '../../shared/intake/submit';
import { startFakeProviders, type FakeProviders } from '../../local/fake-providers/git';
import { memoryLogger, PROJECT_ID, SECRETS } from '../http/helpers';
import { useLocalResources, type LocalStack } from '../setup/stack';
import {
  anyBody,
  bytesOf,
  contentType,
  headerValue,
  hubSignature,
  jiraEvent,
  mutatedManifests,
  nastyString,
  pushPayload,
  truncate,
  wrongBearer,
  wrongSignature,
} from './hostile';

const NOTEBOOK = readFileSync('examples/notebook.yaml', 'utf8');
const TOTAL = Number(process.env.FUZZ_RUNS ?? 2_000);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
/** Shares of the total per property; the replay property gets what is left. */
const RUNS = {
  unauthenticated: Math.round(TOTAL * 0.4),
  signedWebhooks: Math.round(TOTAL * 0.3),
  requestsApi: Math.round(TOTAL * 0.27),
};
const REPLAY_RUNS = Math.max(10, TOTAL - RUNS.unauthenticated - RUNS.signedWebhooks - RUNS.requestsApi);
/** Per property: generous, so only a hang (not a slow machine) fails a run; npm run fuzz scales it up. */
const TIMEOUT_MS = Math.max(90_000, TOTAL * 40);
const fcOptions = (numRuns: number) => ({ numRuns, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: true });

const GITHUB_SECRET = SECRETS.GITHUB_WEBHOOK_SECRET!;
const GITLAB_TOKEN = SECRETS.GITLAB_WEBHOOK_TOKEN!;
const JIRA_SECRET = SECRETS.JIRA_WEBHOOK_SECRET!;
const API_TOKEN = 'api-token-for-tests-0123456789abcdef';
const PROVIDER_LIMIT = 6 * 1024 * 1024;
const REQUESTS_LIMIT = 1024 * 1024;
/** Built once: allocating 6 MiB per case would dominate the run. */
const OVERSIZED_WEBHOOK = 'x'.repeat(PROVIDER_LIMIT + 1);
const OVERSIZED_REQUEST = `a: ${'x'.repeat(REQUESTS_LIMIT)}`;

interface Recorded {
  sqs: { command: string; queueUrl: string; bodies: string[] }[];
  writes: string[];
}

/** Every SQS send and every DynamoDB write the app and intake make, per case: cheaper and sharper than scanning each time. */
function instrument(stack: LocalStack) {
  const recorded: Recorded = { sqs: [], writes: [] };
  const sqs = new Proxy(stack.sqs, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return (command: { constructor: { name: string }; input: Record<string, any> }, ...rest: unknown[]) => {
        const input = command.input;
        const bodies = input.MessageBody !== undefined ? [input.MessageBody] : (input.Entries ?? []).map((e: { MessageBody?: string }) => e.MessageBody ?? '');
        if (/^Send/.test(command.constructor.name)) recorded.sqs.push({ command: command.constructor.name, queueUrl: input.QueueUrl, bodies });
        return (target.send as (...args: unknown[]) => unknown)(command, ...rest);
      };
    },
  }) as SQSClient;
  const ddb = new Proxy(stack.ddb, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return (command: { constructor: { name: string } }, ...rest: unknown[]) => {
        if (!/^(Get|Query|Scan|BatchGet)/.test(command.constructor.name)) recorded.writes.push(command.constructor.name);
        return (target.send as (...args: unknown[]) => unknown)(command, ...rest);
      };
    },
  }) as DynamoDBDocumentClient;
  const intake: IntakeDeps = {
    table: { ddb, tableName: stack.tableName },
    dispatch: { sqs, queueUrl: stack.queues.dispatch.url },
    defaults: { projectId: PROJECT_ID, region: 'cn-north-4' },
  };
  const services: AppServices = { intake, intakeQueue: { sqs, queueUrl: stack.queues.intake.url }, trackedBranches: [] };
  const logger = memoryLogger();
  const app = createApp({ logger, secrets: async () => SECRETS, services: () => services });
  return {
    app,
    intake,
    logger,
    recorded,
    reset() {
      recorded.sqs.length = 0;
      recorded.writes.length = 0;
    },
    sends: (queueUrl: string) => recorded.sqs.filter((s) => s.queueUrl === queueUrl).flatMap((s) => s.bodies),
  };
}

async function tableItems(stack: LocalStack): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await stack.ddb.send(new ScanCommand({ TableName: stack.tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

async function queueDepth(stack: LocalStack, url: string): Promise<number> {
  const { Attributes = {} } = await stack.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
}

/** The one error shape, on every status >= 400; no 5xx ever. Returns the parsed body. */
async function checkResponse(response: Response): Promise<any> {
  expect(response.status, 'no 5xx').toBeLessThan(500);
  const text = await response.text();
  expect(response.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  const body = JSON.parse(text);
  if (response.status >= 400) {
    expect(body).toEqual(expect.objectContaining({ error: expect.objectContaining({ code: expect.stringMatching(/^[A-Z][A-Z0-9_]+$/), message: expect.any(String) }) }));
    expect(Object.keys(body)).toEqual(['error']);
  }
  return body;
}

type Route = 'github' | 'gitlab' | 'jira' | 'requests' | 'get-request';

interface Case {
  route: Route;
  body: string | Uint8Array;
  headers: Record<string, string>;
}

async function send(app: ReturnType<typeof createApp>, c: Case): Promise<Response> {
  if (c.route === 'get-request') return app.request(`/requests/${encodeURIComponent(Buffer.from(typeof c.body === 'string' ? c.body : 'x').toString())}`, { method: 'GET', headers: c.headers });
  const path = c.route === 'requests' ? '/requests' : `/webhooks/${c.route}`;
  return app.request(path, { method: 'POST', body: c.body, headers: c.headers });
}

const withoutUndefined = (headers: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined));

/** Occasionally oversized, occasionally truncated, otherwise anything. */
function bodyFor(route: Route): fc.Arbitrary<string | Uint8Array> {
  const structured = route === 'github' ? pushPayload('github') : route === 'gitlab' ? pushPayload('gitlab') : route === 'jira' ? jiraEvent() : mutatedManifests().map((m) => m.text);
  const asText = structured.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  return fc.oneof(
    { arbitrary: anyBody(), weight: 10 },
    { arbitrary: asText, weight: 8 },
    { arbitrary: fc.tuple(asText, fc.double({ min: 0, max: 1, noNaN: true })).map(([b, f]) => truncate(b, f)), weight: 2 },
    { arbitrary: fc.constant(route === 'requests' ? OVERSIZED_REQUEST : OVERSIZED_WEBHOOK), weight: 1 },
  );
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
const counts = { unauthenticated: 0, signedWebhooks: 0, requestsApi: 0, replay: 0 };
const started = Date.now();

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  const total = counts.unauthenticated + counts.signedWebhooks + counts.requestsApi + counts.replay;
  console.log(`fuzz: ${total} cases in ${((Date.now() - started) / 1000).toFixed(1)} s (${JSON.stringify(counts)}; FUZZ_RUNS=${TOTAL}${SEED !== undefined ? `, seed ${SEED}` : ''})`);
  expect(unhandled).toEqual([]);
  expect(total).toBeGreaterThanOrEqual(TOTAL);
  // npm run fuzz leaves its figure for the reliability report (scripts/soak.ts reads it).
  const report = process.env.FUZZ_REPORT;
  if (report) {
    mkdirSync(dirname(report), { recursive: true });
    writeFileSync(report, `${JSON.stringify({ generatedAt: new Date().toISOString(), badInputsTried: total, byGroup: counts, seconds: (Date.now() - started) / 1000 }, null, 2)}\n`);
  }
});

describe('fuzz: invalid signatures and tokens', () => {
  let stack: LocalStack;
  let rig: ReturnType<typeof instrument>;
  beforeAll(async () => {
    stack = await useLocalResources();
    rig = instrument(stack);
  });
  afterAll(() => stack.close());

  const unauthenticated: fc.Arbitrary<Case> = fc.oneof(
    fc.record({ body: bodyFor('github'), sig: wrongSignature(GITHUB_SECRET), event: fc.oneof(fc.constantFrom('push', 'ping', 'issues'), headerValue), delivery: headerValue, type: contentType }).map(({ body, sig, event, delivery, type }) => ({
      route: 'github' as const,
      body,
      headers: withoutUndefined({ 'content-type': type, 'x-github-event': event, 'x-github-delivery': delivery, 'x-hub-signature-256': sig(bytesOf(body)), 'x-hub-signature': hubSignature(GITHUB_SECRET, bytesOf(body)).replace('256', '') }),
    })),
    fc.record({ body: bodyFor('gitlab'), token: fc.oneof(fc.constant(undefined), headerValue, fc.constantFrom(GITLAB_TOKEN.slice(1), `${GITLAB_TOKEN} `.repeat(2), GITLAB_TOKEN.toUpperCase(), `Bearer ${GITLAB_TOKEN}`)), event: fc.oneof(fc.constant('Push Hook'), headerValue), type: contentType }).map(({ body, token, event, type }) => ({
      route: 'gitlab' as const,
      body,
      headers: withoutUndefined({ 'content-type': type, 'x-gitlab-token': token, 'x-gitlab-event': event, authorization: `Bearer ${API_TOKEN}` }),
    })),
    fc.record({ body: bodyFor('jira'), sig: wrongSignature(JIRA_SECRET), type: contentType }).map(({ body, sig, type }) => ({
      route: 'jira' as const,
      body,
      // The GitHub-style header with a valid signature must not stand in for Jira's.
      headers: withoutUndefined({ 'content-type': type, 'x-hub-signature': sig(bytesOf(body)), 'x-hub-signature-256': hubSignature(JIRA_SECRET, bytesOf(body)) }),
    })),
    fc.record({ body: bodyFor('requests'), auth: wrongBearer(API_TOKEN), type: contentType, key: fc.option(headerValue) }).map(({ body, auth, type, key }) => ({
      route: 'requests' as const,
      body,
      headers: withoutUndefined({ 'content-type': type, authorization: auth, 'idempotency-key': key ?? undefined, 'x-gitlab-token': GITLAB_TOKEN }),
    })),
    fc.record({ id: fc.oneof(fc.stringMatching(/^req_[0-9a-hjkmnp-tv-z]{26}$/), nastyString.map((s) => `x${s}`)), auth: wrongBearer(API_TOKEN) }).map(({ id, auth }) => ({
      route: 'get-request' as const,
      body: id,
      headers: withoutUndefined({ authorization: auth }),
    })),
  );

  /** A random header can still be the valid credential by chance; those cases are not "unauthenticated". */
  function reallyUnauthenticated(c: Case): boolean {
    const bytes = bytesOf(c.body);
    if (c.route === 'github') return (c.headers['x-hub-signature-256'] ?? '').trim().toLowerCase() !== hubSignature(GITHUB_SECRET, bytes);
    if (c.route === 'jira') return (c.headers['x-hub-signature'] ?? '').trim().toLowerCase() !== hubSignature(JIRA_SECRET, bytes);
    if (c.route === 'gitlab') return c.headers['x-gitlab-token'] !== GITLAB_TOKEN;
    return !/^Bearer\s+api-token-for-tests-0123456789abcdef\s*$/i.test(c.headers.authorization ?? '');
  }

  it(`answers ${RUNS.unauthenticated} forged or unauthenticated calls with 401 (or 413 above the size limit) and stores or queues nothing`, async () => {
    await fc.assert(
      fc.asyncProperty(unauthenticated, async (c) => {
        fc.pre(reallyUnauthenticated(c));
        counts.unauthenticated++;
        rig.reset();
        const response = await send(rig.app, c);
        const body = await checkResponse(response);
        const size = bytesOf(c.body).length;
        const limit = c.route === 'requests' ? REQUESTS_LIMIT : PROVIDER_LIMIT;
        if (size > limit && c.route !== 'get-request') expect([401, 413]).toContain(response.status);
        else expect(response.status).toBe(401);
        expect(body.error.code).toMatch(/^(UNAUTHORIZED|PAYLOAD_TOO_LARGE)$/);
        expect(rig.recorded.sqs).toEqual([]);
        expect(rig.recorded.writes).toEqual([]);
      }),
      fcOptions(RUNS.unauthenticated),
    );
    // And from the emulators' side: the table holds no item, no queue holds a message.
    expect(await tableItems(stack)).toEqual([]);
    for (const url of [stack.queues.intake.url, stack.queues.dispatch.url, stack.queues.notify.url]) expect(await queueDepth(stack, url)).toBe(0);
    expect(rig.logger.lines.filter((l) => l.startsWith('error'))).toEqual([]);
  }, TIMEOUT_MS);
});

describe('fuzz: authenticated hostile input', () => {
  let stack: LocalStack;
  let rig: ReturnType<typeof instrument>;
  const settings: ProviderSettings = { globs: ['**/*.yaml'], github: { apiUrl: 'http://127.0.0.1:9/github' }, gitlab: { apiUrl: 'http://127.0.0.1:9/gitlab' } };
  let accepted = 0;
  beforeAll(async () => {
    stack = await useLocalResources();
    rig = instrument(stack);
  });
  afterAll(() => stack.close());

  /** A request that was rejected keeps exactly one item (the request record) and queued nothing for dispatch. */
  async function expectRejectedOnly(requestId: string) {
    const { Items = [] } = await stack.ddb.send(new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `REQ#${requestId}` } }));
    expect(Items).toHaveLength(1);
    expect(Items[0]).toMatchObject({ sk: 'REQ', phase: 'Rejected', resourceCount: 0 });
    expect(rig.sends(stack.queues.dispatch.url)).toEqual([]);
  }

  const signedWebhook: fc.Arbitrary<Case> = fc.oneof(
    fc.record({ body: bodyFor('github'), event: fc.oneof({ arbitrary: fc.constant('push'), weight: 6 }, { arbitrary: fc.constantFrom('ping', 'issues', '', 'pull_request'), weight: 2 }, { arbitrary: headerValue, weight: 1 }), delivery: fc.option(headerValue), type: contentType }).map(({ body, event, delivery, type }) => ({
      route: 'github' as const,
      body,
      headers: withoutUndefined({ 'content-type': type, 'x-github-event': event, 'x-github-delivery': delivery ?? undefined, 'x-hub-signature-256': hubSignature(GITHUB_SECRET, bytesOf(body)) }),
    })),
    fc.record({ body: bodyFor('gitlab'), event: fc.oneof({ arbitrary: fc.constant('Push Hook'), weight: 6 }, { arbitrary: fc.constant('Merge Request Hook'), weight: 1 }, { arbitrary: headerValue, weight: 1 }), key: fc.option(headerValue), uuid: fc.option(headerValue), type: contentType }).map(({ body, event, key, uuid, type }) => ({
      route: 'gitlab' as const,
      body,
      headers: withoutUndefined({ 'content-type': type, 'x-gitlab-token': GITLAB_TOKEN, 'x-gitlab-event': event, 'idempotency-key': key ?? undefined, 'x-gitlab-event-uuid': uuid ?? undefined }),
    })),
    fc.record({ body: bodyFor('jira'), type: contentType, id: fc.option(headerValue) }).map(({ body, type, id }) => ({
      route: 'jira' as const,
      body,
      headers: withoutUndefined({ 'content-type': type, 'x-hub-signature': hubSignature(JIRA_SECRET, bytesOf(body)), 'x-atlassian-webhook-identifier': id ?? undefined }),
    })),
  );

  it(`survives ${RUNS.signedWebhooks} validly signed webhooks with hostile bodies; only 202s queue a job, and intake turns bad manifests into rejected records`, async () => {
    await fc.assert(
      fc.asyncProperty(signedWebhook, async (c) => {
        counts.signedWebhooks++;
        rig.reset();
        const response = await send(rig.app, c);
        const body = await checkResponse(response);
        // The webhook itself never writes to the table: it only hands a job to intake.
        expect(rig.recorded.writes).toEqual([]);
        const jobs = rig.sends(stack.queues.intake.url);
        if (response.status !== 202) {
          expect(rig.recorded.sqs).toEqual([]);
          if (response.status === 200) expect(body.ok === true || body.ignored === true).toBe(true);
          return;
        }
        // A push or ticket answers with its request id; a pull/merge request queues a plan job.
        if (body.plan !== true) expect(body.requestId).toMatch(/^req_[0-9a-hjkmnp-tv-z]{26}$/);
        expect(jobs).toHaveLength(1);
        accepted++;
        if (c.route !== 'jira') return;
        // Jira jobs carry their manifests: run intake on this one now, as the intake function would.
        rig.reset();
        const outcome = await processIntakeMessage(rig.intake, settings, { messageId: `m-${accepted}`, body: jobs[0]! });
        if (outcome.status === 'rejected') await expectRejectedOnly(outcome.requestId);
        if (outcome.status === 'accepted' && !outcome.duplicate) expect(rig.sends(stack.queues.dispatch.url)).toHaveLength(outcome.resources.filter((r) => r.state === 'Queued').length);
      }),
      fcOptions(RUNS.signedWebhooks),
    );
    expect(await queueDepth(stack, stack.queues.intake.url)).toBe(accepted);
    expect(rig.logger.lines.filter((l) => l.startsWith('error'))).toEqual([]);
  }, TIMEOUT_MS);

  const apiCall: fc.Arbitrary<Case> = fc.oneof(
    { arbitrary: fc.record({ m: mutatedManifests(), key: fc.option(fc.oneof(headerValue, fc.constant('k'.repeat(257)))), ctype: fc.option(contentType, { freq: 4 }) }).map(({ m, key, ctype }) => ({ route: 'requests' as const, body: m.text, headers: withoutUndefined({ 'content-type': ctype ?? m.type, authorization: `Bearer ${API_TOKEN}`, 'idempotency-key': key ?? undefined }) })), weight: 6 },
    { arbitrary: fc.record({ body: bodyFor('requests'), ctype: contentType, key: fc.option(headerValue) }).map(({ body, ctype, key }) => ({ route: 'requests' as const, body, headers: withoutUndefined({ 'content-type': ctype, authorization: `bearer   ${API_TOKEN} `, 'idempotency-key': key ?? undefined }) })), weight: 6 },
    { arbitrary: fc.oneof(fc.stringMatching(/^req_[0-9a-hjkmnp-tv-z]{26}$/), nastyString.map((s) => `x${s}`)).map((id) => ({ route: 'get-request' as const, body: id, headers: { authorization: `Bearer ${API_TOKEN}` } })), weight: 1 },
  );

  it(`survives ${RUNS.requestsApi} authenticated API calls with hostile manifests; a rejected request keeps only its record and queues nothing`, async () => {
    await fc.assert(
      fc.asyncProperty(apiCall, async (c) => {
        counts.requestsApi++;
        rig.reset();
        const response = await send(rig.app, c);
        const body = await checkResponse(response);
        if (c.route === 'get-request') {
          expect([200, 404]).toContain(response.status);
          return;
        }
        expect(rig.sends(stack.queues.intake.url)).toEqual([]);
        if (response.status === 202) {
          expect(body.requestId).toMatch(/^req_/);
          const fresh = rig.sends(stack.queues.dispatch.url);
          // A replayed idempotency key re-sends nothing; a new request queues one message per Queued resource
          // (dependents of a pool in the same request wait without one: the pool queues them).
          const queued = body.resources.filter((r: { state: string }) => r.state === 'Queued').length;
          expect(fresh.length === 0 || fresh.length === queued).toBe(true);
          return;
        }
        if (response.status === 422 && body.error.code === 'MANIFEST_INVALID') {
          await expectRejectedOnly(body.error.details.requestId);
          return;
        }
        // Every other answer (400, 409, 413, 415, 422 NO_MANIFEST) leaves no trace; a reused idempotency key
        // is found by the one conditional write that fails: the request's put, or the one-write transaction
        // when the new body is valid.
        expect(rig.recorded.writes).toEqual(response.status === 409 ? [expect.stringMatching(/^(PutCommand|TransactWriteCommand)$/)] : []);
        expect(rig.recorded.sqs).toEqual([]);
      }),
      fcOptions(RUNS.requestsApi),
    );
    expect(rig.logger.lines.filter((l) => l.startsWith('error'))).toEqual([]);
  }, TIMEOUT_MS);
});

describe('hostile but schema-valid manifests', () => {
  let stack: LocalStack;
  let rig: ReturnType<typeof instrument>;
  beforeAll(async () => {
    stack = await useLocalResources();
    rig = instrument(stack);
  });
  afterAll(() => stack.close());

  const notebook = (mutate: (m: any) => void) => {
    const m = parse(NOTEBOOK);
    delete m.spec.body.flavor;
    delete m.spec.body.pool_id;
    m.spec.body.custom_spec = { gpu: 1, cpu: 2, memory: 1024, arch: 'X86_64', category: 'GPU', gpu_type: 'T4' };
    mutate(m);
    return JSON.stringify(m);
  };

  it.each([
    ['a number DynamoDB cannot store (1e200)', notebook((m) => (m.spec.body.custom_spec.gpu = 1e200))],
    ['a number DynamoDB cannot store (1e-200)', notebook((m) => (m.spec.body.custom_spec.gpu = 1e-200))],
    ['an empty label key', notebook((m) => (m.metadata.labels = { '': 'x' }))],
    ['a label value with U+FFFF', notebook((m) => (m.metadata.labels = { team: '\uffff' }))],
    ['a 900 KB kind name (echoed in the error)', JSON.stringify({ apiVersion: 'hwc-provisioner/v1', kind: 'x'.repeat(900_000) })],
    ['500 documents with 2 KB unknown keys (a rejection larger than an item)', Array.from({ length: 500 }, (_, i) => JSON.stringify({ [`k${i}${'y'.repeat(2_000)}`]: 1 })).join('\n---\n')],
  ])('answers %s without a 5xx and stores what it accepts', async (_name, text) => {
    rig.reset();
    rig.logger.lines.length = 0;
    const response = await rig.app.request('/requests', { method: 'POST', body: text, headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` } });
    const body = await checkResponse(response);
    expect([202, 422]).toContain(response.status);
    if (response.status === 422) await expect(tableItems(stack)).resolves.toEqual(expect.arrayContaining([expect.objectContaining({ requestId: body.error.details.requestId, phase: 'Rejected' })]));
    expect(rig.logger.lines.filter((l) => l.startsWith('error'))).toEqual([]);
  });
});

describe('fuzz: replayed GitHub deliveries', () => {
  let stack: LocalStack;
  let rig: ReturnType<typeof instrument>;
  let providers: FakeProviders;
  let settings: ProviderSettings;
  beforeAll(async () => {
    stack = await useLocalResources();
    rig = instrument(stack);
    providers = await startFakeProviders({ githubToken: SECRETS.GITHUB_TOKEN!, gitlabToken: SECRETS.GITLAB_TOKEN! });
    settings = { globs: ['provisioning/**/*.yaml'], github: { apiUrl: `${providers.url}/github`, token: SECRETS.GITHUB_TOKEN! }, gitlab: { apiUrl: `${providers.url}/gitlab` } };
  });
  afterAll(async () => {
    stack.close();
    await providers.close();
  });

  let n = 0;
  it(`accepts each of ${REPLAY_RUNS} valid deliveries once however often it is replayed`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.record({ delivery: headerValue.filter((d) => d.length > 0), times: fc.integer({ min: 2, max: 4 }), spacing: fc.constantFrom('', ' ', '\n') }), async ({ delivery, times, spacing }) => {
        counts.replay++;
        n++;
        const after = n.toString(16).padStart(40, 'a');
        providers.commits.set(after, { 'provisioning/nb.yaml': NOTEBOOK.replace('name: notebooks-test', `name: replay-${n}`) });
        // The same bytes each time, as GitHub's redelivery sends them.
        const body = JSON.stringify({ ref: 'refs/heads/main', before: '0'.repeat(40), after, repository: { id: 1296269, full_name: 'acme/infra', default_branch: 'main' } }, null, spacing ? 1 : 0);
        // Unique per case: a delivery id seen before is (rightly) the earlier request.
        const headers = { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': `${delivery}#${n}`, 'x-hub-signature-256': hubSignature(GITHUB_SECRET, body) };
        rig.reset();
        const ids = new Set<string>();
        for (let i = 0; i < times; i++) {
          const response = await rig.app.request('/webhooks/github', { method: 'POST', body, headers });
          expect(response.status).toBe(202);
          ids.add(((await response.json()) as { requestId: string }).requestId);
        }
        expect(ids.size).toBe(1);
        const [requestId] = ids;
        const jobs = rig.sends(stack.queues.intake.url);
        expect(jobs).toHaveLength(times);
        rig.reset();
        const outcomes = [];
        for (const [i, job] of jobs.entries()) outcomes.push(await processIntakeMessage(rig.intake, settings, { messageId: `${n}-${i}`, body: job }));
        expect(outcomes.map((o) => o.status)).toEqual(Array(times).fill('accepted'));
        expect(outcomes.filter((o) => o.status === 'accepted' && !o.duplicate)).toHaveLength(1);
        expect(rig.sends(stack.queues.dispatch.url)).toHaveLength(1);
        const { Items = [] } = await stack.ddb.send(new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `REQ#${requestId}` } }));
        expect(Items.map((i) => i.sk).sort()).toEqual(['REQ', `RES#Notebook#replay-${n}`]);
      }),
      fcOptions(REPLAY_RUNS),
    );
    const requests = (await tableItems(stack)).filter((i) => i.sk === 'REQ');
    expect(requests).toHaveLength(n);
  }, TIMEOUT_MS);
});
