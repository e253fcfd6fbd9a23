/**
 * Property-based fuzzing of every webhook route, the requests API and the intake queue, in process (app.request,
 * processIntakeMessage) against the real emulators. FUZZ_RUNS sets the total number of cases (2,000 in
 * `npm test`, 10,000 in `npm run fuzz`); FUZZ_SEED replays a run; FUZZ_SHRINK=1 shrinks a failure to a minimal
 * counterexample (off by default: shrinking replays against emulators whose state has moved on).
 */
import { QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type AppServices } from '../../shared/http/app';
import { errorResponse } from '../../shared/http/errors';
import { boundedDeliveryId } from '../../shared/providers/names';
import { processIntakeMessage, type ProviderSettings } from '../../shared/intake/service';
import type { IntakeDeps } from '../../shared/intake/submit';
import { validateSource } from '../../shared/manifests/validate';
import type { TopicRef } from '../../shared/events/publish';
import { startFakeProviders, type FakeProviders } from '../../local/fake-providers/git';
import { fakeProviderSettings, memoryLogger, PROJECT_ID, SECRETS } from '../http/helpers';
import { useLocalResources, type LocalStack } from '../setup/stack';
import {
  anyBody,
  boundFieldCase,
  bytesOf,
  contentType,
  controlHeaderValue,
  ensurePath,
  escapesPath,
  getPath,
  headerValue,
  hubSignature,
  hugeEchoes,
  intakeMessageBody,
  jiraEvent,
  KEY_PLACEMENTS,
  MANIFEST_KINDS,
  mutatedManifests,
  nastyString,
  prototypeKeyCase,
  pushPayload,
  repositoryName,
  serialise,
  setOwn,
  truncate,
  unsendableHeaderValue,
  validManifest,
  withControlChars,
  withDotSegments,
  wrongBearer,
  wrongSignature,
  type BoundFieldCase,
  type KeyInsertion,
} from './hostile';

const NOTEBOOK = readFileSync('examples/notebook.yaml', 'utf8');
const TOTAL = Number(process.env.FUZZ_RUNS ?? 2_000);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
/** Shares of the total per property, weighted by what a case costs; the replay property gets what is left. */
const RUNS = {
  unauthenticated: Math.round(TOTAL * 0.27),
  signedWebhooks: Math.round(TOTAL * 0.22),
  requestsApi: Math.round(TOTAL * 0.2),
  prototypeKeys: Math.round(TOTAL * 0.08),
  controlChars: Math.round(TOTAL * 0.06),
  dotSegments: Math.round(TOTAL * 0.05),
  repositoryNames: Math.round(TOTAL * 0.04),
  hugeStrings: Math.round(TOTAL * 0.02),
  intakeMessages: Math.round(TOTAL * 0.03),
};
/** The control-character share: values in manifests, jobs and API headers, then plan events' delivery headers. */
const CONTROL_RUNS = { values: Math.ceil(RUNS.controlChars * 0.85), plans: RUNS.controlChars - Math.ceil(RUNS.controlChars * 0.85) };
const REPLAY_RUNS = Math.max(10, TOTAL - Object.values(RUNS).reduce((a, b) => a + b, 0));
/** Per property: generous, so only a hang (not a slow machine) fails a run; npm run fuzz scales it up. */
const TIMEOUT_MS = Math.max(90_000, TOTAL * 40);
const fcOptions = (numRuns: number) => ({ numRuns, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: !process.env.FUZZ_SHRINK });

const GITHUB_SECRET = SECRETS.GITHUB_WEBHOOK_SECRET!;
const GITLAB_TOKEN = SECRETS.GITLAB_WEBHOOK_TOKEN!;
const JIRA_SECRET = SECRETS.JIRA_WEBHOOK_SECRET!;
const API_TOKEN = 'api-token-for-tests-0123456789abcdef';
const PROVIDER_LIMIT = 6 * 1024 * 1024;
const REQUESTS_LIMIT = 1024 * 1024;
/** SQS's message limit: what another system can put on the intake queue at most. */
const SQS_MESSAGE_LIMIT = 256 * 1024;
const DYNAMODB_ITEM_LIMIT = 400 * 1024;
/** Built once: allocating 6 MiB per case would dominate the run. */
const OVERSIZED_WEBHOOK = 'x'.repeat(PROVIDER_LIMIT + 1);
const OVERSIZED_REQUEST = `a: ${'x'.repeat(REQUESTS_LIMIT)}`;
const ZERO_SHA = '0'.repeat(40);
/** What a delivery header may become in a job or a record: kept when plain, else a digest. */
const BOUNDED_DELIVERY = /^(?:[A-Za-z0-9._:-]{1,128}|sha256:[0-9a-f]{32})$/;
const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** A repository path whose every segment stays a segment: none empty, "." or "..", none encoded, spaced or controlled. */
const safeRepositoryPath = (name: string) =>
  name
    .split('/')
    .every((segment) => segment !== '' && segment !== '.' && segment !== '..' && !/[%\\?#\s\u0000-\u001f\u007f]/.test(segment));
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * What must never happen, counted over every case (and every shrink step) of every property, and reported in
 * reports/fuzz.json: a 5xx from any route; an intake message that throws with no outage to blame (SQS would
 * redeliver it until it is silently dead-lettered); intake recording its own unforeseen failure as a
 * rejection (a crash turned into a rejection is still a crash); a replay creating anything a second time;
 * an item written above DynamoDB's 400 KB.
 */
const invariants = { fiveXx: 0, deadLettered: 0, unforeseenIntakeFailures: 0, replayCreates: 0, oversizedItems: 0 };
const measured = { largestItemBytes: 0 };
const intakeOutcomes: Record<string, number> = {};
const byRoute: Record<string, number> = {};
const tally = (group: string, route: string) => (byRoute[`${group}:${route}`] = (byRoute[`${group}:${route}`] ?? 0) + 1);

/** An attribute value's size as DynamoDB counts it (names and strings in UTF-8, numbers about one byte per two digits). */
function attributeBytes(value: unknown): number {
  if (value === undefined) return 0;
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint') return Math.ceil(String(value).replace(/[^0-9]/g, '').length / 2) + 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce((n: number, v) => n + attributeBytes(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + 1 + attributeBytes(v), 0);
  if (typeof value === 'object')
    return 3 + Object.entries(value).reduce((n, [k, v]) => n + 1 + Buffer.byteLength(k) + attributeBytes(v), 0);
  return 0;
}

function itemBytes(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + attributeBytes(v), 0);
}

/** The largest item (or, for an update, the largest set of new values) a write command carries. */
function writeBytes(command: { constructor: { name: string }; input: Record<string, any> }): number {
  const { input } = command;
  const sizes: number[] = [];
  if (input.Item) sizes.push(itemBytes(input.Item));
  if (input.ExpressionAttributeValues) sizes.push(itemBytes({ ...input.Key, ...input.ExpressionAttributeValues }));
  for (const t of input.TransactItems ?? []) {
    if (t.Put?.Item) sizes.push(itemBytes(t.Put.Item));
    if (t.Update?.ExpressionAttributeValues) sizes.push(itemBytes({ ...t.Update.Key, ...t.Update.ExpressionAttributeValues }));
  }
  for (const writes of Object.values(input.RequestItems ?? {}) as { PutRequest?: { Item: Record<string, unknown> } }[][]) {
    for (const w of writes) if (w.PutRequest?.Item) sizes.push(itemBytes(w.PutRequest.Item));
  }
  return Math.max(0, ...sizes);
}

function noteItemSize(bytes: number, what: string): void {
  measured.largestItemBytes = Math.max(measured.largestItemBytes, bytes);
  if (bytes >= DYNAMODB_ITEM_LIMIT) {
    invariants.oversizedItems++;
    throw new Error(`${what} of ${bytes} bytes: above DynamoDB's 400 KB item limit`);
  }
}

interface Recorded {
  sqs: { command: string; queueUrl: string; bodies: string[] }[];
  writes: string[];
  /** Errors that reached the app's error handler (a 5xx), with their stacks for the report. */
  unhandled: Error[];
  /** Intake's "could not be processed" warnings: an unforeseen failure it recorded as a rejection. */
  unprocessable: Record<string, unknown>[];
}

/** Every SQS send and every DynamoDB write the app and intake make, per case: cheaper and sharper than scanning each time. */
function instrument(stack: LocalStack, opts: { topic?: TopicRef } = {}) {
  const recorded: Recorded = { sqs: [], writes: [], unhandled: [], unprocessable: [] };
  const sqs = new Proxy(stack.sqs, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return (command: { constructor: { name: string }; input: Record<string, any> }, ...rest: unknown[]) => {
        const input = command.input;
        const bodies =
          input.MessageBody !== undefined
            ? [input.MessageBody]
            : (input.Entries ?? []).map((e: { MessageBody?: string }) => e.MessageBody ?? '');
        if (/^Send/.test(command.constructor.name))
          recorded.sqs.push({ command: command.constructor.name, queueUrl: input.QueueUrl, bodies });
        return (target.send as (...args: unknown[]) => unknown)(command, ...rest);
      };
    },
  }) as SQSClient;
  const ddb = new Proxy(stack.ddb, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return (command: { constructor: { name: string }; input: Record<string, any> }, ...rest: unknown[]) => {
        if (!/^(Get|Query|Scan|BatchGet)/.test(command.constructor.name)) {
          recorded.writes.push(command.constructor.name);
          // Measured before sending: DynamoDB would refuse an oversized item, and the caller might swallow that.
          noteItemSize(writeBytes(command), command.constructor.name);
        }
        return (target.send as (...args: unknown[]) => unknown)(command, ...rest);
      };
    },
  }) as DynamoDBDocumentClient;
  const intake: IntakeDeps = {
    table: { ddb, tableName: stack.tableName },
    dispatch: { sqs, queueUrl: stack.queues.dispatch.url },
    defaults: { projectId: PROJECT_ID, region: 'cn-north-4' },
    ...(opts.topic ? { topic: opts.topic } : {}),
    logger: {
      warn: (message, extra) => {
        if (/could not be processed/.test(message)) recorded.unprocessable.push({ message, ...extra });
      },
    },
  };
  const services: AppServices = { intake, intakeQueue: { sqs, queueUrl: stack.queues.intake.url }, trackedBranches: [] };
  const logger = memoryLogger();
  const app = createApp({ logger, secrets: async () => SECRETS, services: () => services });
  // The app's own handler logs no stack; this one answers the same and keeps the error for the failure message.
  app.onError((error, c) => {
    if (!(error instanceof Error && 'status' in error)) recorded.unhandled.push(error);
    return errorResponse(c, error, (message, extra) => logger.error(message, extra));
  });
  return {
    app,
    intake,
    logger,
    recorded,
    reset() {
      recorded.sqs.length = 0;
      recorded.writes.length = 0;
      recorded.unhandled.length = 0;
      recorded.unprocessable.length = 0;
    },
    sends: (queueUrl: string) => recorded.sqs.filter((s) => s.queueUrl === queueUrl).flatMap((s) => s.bodies),
  };
}

type Rig = ReturnType<typeof instrument>;

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

/** Every item the table holds fits DynamoDB's limit (as stored, outbox events included). */
async function expectStoredItemsFit(stack: LocalStack): Promise<void> {
  for (const item of await tableItems(stack)) noteItemSize(itemBytes(item), `stored item ${String(item.pk)} ${String(item.sk)}`);
}

async function requestItems(stack: LocalStack, requestId: string): Promise<Record<string, any>[]> {
  const { Items = [] } = await stack.ddb.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `REQ#${requestId}` },
      ConsistentRead: true,
    }),
  );
  return Items;
}

async function queueDepth(stack: LocalStack, url: string): Promise<number> {
  const { Attributes = {} } = await stack.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/** The one error shape, on every status >= 400; no 5xx ever. Returns the parsed body. */
async function checkResponse(response: Response, rig?: Rig): Promise<any> {
  const text = await response.text();
  if (response.status >= 500) {
    invariants.fiveXx++;
    const stacks = (rig?.recorded.unhandled ?? []).map((e) => e.stack ?? String(e)).join('\n---\n');
    expect.fail(`no 5xx: got ${response.status} ${text}${stacks ? `\n${stacks}` : ''}`);
  }
  expect(response.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  const body = JSON.parse(text);
  if (response.status >= 400) {
    expect(body).toEqual(
      expect.objectContaining({
        error: expect.objectContaining({ code: expect.stringMatching(/^[A-Z][A-Z0-9_]+$/), message: expect.any(String) }),
      }),
    );
    expect(Object.keys(body)).toEqual(['error']);
  }
  return body;
}

type IntakeResult = Awaited<ReturnType<typeof processIntakeMessage>>;
/** How a message may end: a request (accepted or rejected), nothing to do, or a plan made or skipped. */
const INTAKE_ENDINGS = ['accepted', 'rejected', 'empty', 'ignored', 'planned', 'plan-skipped'];

/**
 * processIntakeMessage as the intake function runs it on one SQS message, received up to `receives` times:
 * with the emulators up there is no outage to retry, so a throw on the last receive is a message SQS would
 * move to the dead-letter queue with nobody told. Only concurrent replays get more than one receive (a
 * transaction that lost a race may throw a retryable error; its redelivery must then end well).
 */
async function runIntake(
  rig: Rig,
  settings: ProviderSettings,
  message: { messageId: string; body: string },
  receives = 1,
): Promise<IntakeResult> {
  for (let receive = 1; ; receive++) {
    const before = rig.recorded.unprocessable.length;
    let outcome: IntakeResult;
    try {
      outcome = await processIntakeMessage(rig.intake, settings, message);
    } catch (error) {
      if (receive < receives) continue;
      invariants.deadLettered++;
      throw new Error(
        `intake threw on message ${message.messageId} (${message.body.slice(0, 300)}): ` +
          `it would be silently dead-lettered\n${(error as Error)?.stack ?? String(error)}`,
      );
    }
    const unforeseen = rig.recorded.unprocessable.slice(before);
    if (unforeseen.length > 0) {
      invariants.unforeseenIntakeFailures++;
      expect.fail(`intake recorded its own failure as a rejection: ${JSON.stringify(unforeseen)}`);
    }
    intakeOutcomes[outcome.status] = (intakeOutcomes[outcome.status] ?? 0) + 1;
    expect(INTAKE_ENDINGS).toContain(outcome.status);
    return outcome;
  }
}

type Route = 'github' | 'gitlab' | 'jira' | 'requests' | 'get-request';

interface Case {
  route: Route;
  body: string | Uint8Array;
  headers: Record<string, string>;
}

async function send(app: ReturnType<typeof createApp>, c: Case): Promise<Response> {
  if (c.route === 'get-request')
    return app.request(`/requests/${encodeURIComponent(Buffer.from(typeof c.body === 'string' ? c.body : 'x').toString())}`, {
      method: 'GET',
      headers: c.headers,
    });
  const path = c.route === 'requests' ? '/requests' : `/webhooks/${c.route}`;
  return app.request(path, { method: 'POST', body: c.body, headers: c.headers });
}

const withoutUndefined = (headers: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined));

/** Occasionally oversized, occasionally truncated, otherwise anything. */
function bodyFor(route: Route): fc.Arbitrary<string | Uint8Array> {
  const structured =
    route === 'github'
      ? pushPayload('github')
      : route === 'gitlab'
        ? pushPayload('gitlab')
        : route === 'jira'
          ? jiraEvent()
          : mutatedManifests().map((m) => m.text);
  const asText = structured.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  return fc.oneof(
    { arbitrary: anyBody(), weight: 10 },
    { arbitrary: asText, weight: 8 },
    { arbitrary: fc.tuple(asText, fc.double({ min: 0, max: 1, noNaN: true })).map(([b, f]) => truncate(b, f)), weight: 2 },
    { arbitrary: fc.constant(route === 'requests' ? OVERSIZED_REQUEST : OVERSIZED_WEBHOOK), weight: 1 },
  );
}

// ---- Requests every new property sends: valid apart from what the case varies. ----

const API_HEADERS = { authorization: `Bearer ${API_TOKEN}` };

async function postRequests(rig: Rig, text: string, type: string, headers: Record<string, string> = {}): Promise<Response> {
  return rig.app.request('/requests', { method: 'POST', body: text, headers: { 'content-type': type, ...API_HEADERS, ...headers } });
}

async function postGithubPush(rig: Rig, payload: unknown, delivery: string, spacing = 0): Promise<Response> {
  const body = JSON.stringify(payload, null, spacing);
  return rig.app.request('/webhooks/github', {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': delivery,
      'x-hub-signature-256': hubSignature(GITHUB_SECRET, body),
    },
  });
}

async function postGitlabPush(rig: Rig, payload: unknown, headers: Record<string, string | undefined> = {}): Promise<Response> {
  return rig.app.request('/webhooks/gitlab', {
    method: 'POST',
    body: JSON.stringify(payload),
    headers: withoutUndefined({
      'content-type': 'application/json',
      'x-gitlab-token': GITLAB_TOKEN,
      'x-gitlab-event': 'Push Hook',
      ...headers,
    }),
  });
}

async function postJira(rig: Rig, payload: unknown, headers: Record<string, string | undefined> = {}): Promise<Response> {
  const body = JSON.stringify(payload);
  return rig.app.request('/webhooks/jira', {
    method: 'POST',
    body,
    headers: withoutUndefined({ 'content-type': 'application/json', 'x-hub-signature': hubSignature(JIRA_SECRET, body), ...headers }),
  });
}

const githubPush = (after: string, fullName = 'acme/infra', id = 1296269) => ({
  ref: 'refs/heads/main',
  before: ZERO_SHA,
  after,
  repository: { id, full_name: fullName, default_branch: 'main' },
});
const gitlabPush = (after: string, path = 'group/infra', projectId = 42) => ({
  object_kind: 'push',
  ref: 'refs/heads/main',
  before: ZERO_SHA,
  after,
  project_id: projectId,
  project: { path_with_namespace: path, default_branch: 'main', web_url: 'https://gitlab.example.com/group/infra' },
});
/** A commit id no other case uses: the push, and so its request, is new. */
const commitId = (group: number, n: number) => `${group.toString(16)}${n.toString(16).padStart(39, '0')}`.slice(0, 40);
const notebookNamed = (name: string) => NOTEBOOK.replace('name: notebooks-test', `name: ${name}`);

/** What a request came to, however it was submitted: one shape for the API's answer and intake's outcome. */
type Verdict =
  | { status: 'accepted'; requestId: string; resources: { kind: string; name: string; state: string }[]; duplicate: boolean }
  | {
      status: 'rejected';
      requestId: string;
      documents: { index: number; errors: { path: string; message: string }[] }[];
      duplicate: boolean;
    }
  | { status: 'other'; detail: string };

async function apiVerdict(rig: Rig, response: Response): Promise<Verdict> {
  const body = await checkResponse(response, rig);
  if (response.status === 202) return { status: 'accepted', requestId: body.requestId, resources: body.resources, duplicate: false };
  if (response.status === 422 && body.error.code === 'MANIFEST_INVALID')
    return { status: 'rejected', requestId: body.error.details.requestId, documents: body.error.details.documents, duplicate: false };
  return { status: 'other', detail: `${response.status} ${JSON.stringify(body)}` };
}

function intakeVerdict(outcome: IntakeResult): Verdict {
  if (outcome.status === 'accepted') return outcome;
  if (outcome.status === 'rejected') return outcome;
  return { status: 'other', detail: JSON.stringify(outcome) };
}

/** A request that was rejected keeps exactly one item (the request record) and queued nothing for dispatch. */
async function expectRejectedOnly(stack: LocalStack, rig: Rig, requestId: string) {
  const items = await requestItems(stack, requestId);
  expect(items).toHaveLength(1);
  expect(items[0]).toMatchObject({ sk: 'REQ', phase: 'Rejected', resourceCount: 0 });
  expect(rig.sends(stack.queues.dispatch.url)).toEqual([]);
}

/** A new accepted request queued one dispatch message per resource (none here waits for a pool of its own request). */
async function expectAcceptedOnce(stack: LocalStack, rig: Rig, verdict: Verdict, count: number): Promise<Record<string, any>[]> {
  expect(verdict, JSON.stringify(verdict)).toMatchObject({ status: 'accepted', duplicate: false });
  const { requestId, resources } = verdict as Extract<Verdict, { status: 'accepted' }>;
  expect(resources).toHaveLength(count);
  expect(resources.every((r) => r.state === 'Queued')).toBe(true);
  expect(rig.sends(stack.queues.dispatch.url)).toHaveLength(count);
  const items = await requestItems(stack, requestId);
  expect(items.map((i) => i.sk).sort()).toEqual(['REQ', ...resources.map((r) => `RES#${r.kind}#${r.name}`)].sort());
  return items;
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
const counts = {
  unauthenticated: 0,
  signedWebhooks: 0,
  requestsApi: 0,
  replay: 0,
  prototypeKeys: 0,
  hugeStrings: 0,
  controlChars: 0,
  dotSegments: 0,
  repositoryNames: 0,
  intakeMessages: 0,
};
const started = Date.now();

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(
    `fuzz: ${total} cases in ${((Date.now() - started) / 1000).toFixed(1)} s (${JSON.stringify(counts)}; ` +
      `invariants ${JSON.stringify(invariants)}; FUZZ_RUNS=${TOTAL}${SEED !== undefined ? `, seed ${SEED}` : ''})`,
  );
  // npm run fuzz leaves its figure for the reliability report (scripts/soak.ts reads it); written before the
  // checks below, so a failing run still says what it found.
  const report = process.env.FUZZ_REPORT;
  if (report) {
    mkdirSync(dirname(report), { recursive: true });
    const seconds = (Date.now() - started) / 1000;
    const summary = {
      generatedAt: new Date().toISOString(),
      badInputsTried: total,
      byGroup: counts,
      byRoute,
      intakeOutcomes,
      invariants,
      largestItemBytes: measured.largestItemBytes,
      seconds,
    };
    writeFileSync(report, `${JSON.stringify(summary, null, 2)}\n`);
  }
  expect(unhandled).toEqual([]);
  expect(invariants).toEqual({ fiveXx: 0, deadLettered: 0, unforeseenIntakeFailures: 0, replayCreates: 0, oversizedItems: 0 });
  expect(total).toBeGreaterThanOrEqual(TOTAL);
});

it('starts every manifest generator from manifests that are valid as they stand', () => {
  for (const kind of MANIFEST_KINDS) {
    const [doc] = validateSource(JSON.stringify(validManifest(kind, 'base')), 'base.json');
    expect(doc, `${kind}: ${JSON.stringify(doc?.errors)}`).toMatchObject({ valid: true });
  }
  // With a harmless key at each free or Kubernetes map: the maps the prototype keys go into can be filled at all.
  for (const placement of KEY_PLACEMENTS.filter((p) => p.map !== 'strict')) {
    const doc = validManifest(placement.kind, 'base');
    placement.prepare?.(doc);
    ensurePath(doc, placement.path).plain = 'v';
    const [result] = validateSource(stringify(doc), 'base.yaml');
    expect(result, `${placement.kind} ${placement.path.join('.')}: ${JSON.stringify(result?.errors)}`).toMatchObject({ valid: true });
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
    fc
      .record({
        body: bodyFor('github'),
        sig: wrongSignature(GITHUB_SECRET),
        event: fc.oneof(fc.constantFrom('push', 'ping', 'issues'), headerValue),
        delivery: headerValue,
        type: contentType,
      })
      .map(({ body, sig, event, delivery, type }) => ({
        route: 'github' as const,
        body,
        headers: withoutUndefined({
          'content-type': type,
          'x-github-event': event,
          'x-github-delivery': delivery,
          'x-hub-signature-256': sig(bytesOf(body)),
          'x-hub-signature': hubSignature(GITHUB_SECRET, bytesOf(body)).replace('256', ''),
        }),
      })),
    fc
      .record({
        body: bodyFor('gitlab'),
        token: fc.oneof(
          fc.constant(undefined),
          headerValue,
          fc.constantFrom(GITLAB_TOKEN.slice(1), `${GITLAB_TOKEN} `.repeat(2), GITLAB_TOKEN.toUpperCase(), `Bearer ${GITLAB_TOKEN}`),
        ),
        event: fc.oneof(fc.constant('Push Hook'), headerValue),
        type: contentType,
      })
      .map(({ body, token, event, type }) => ({
        route: 'gitlab' as const,
        body,
        headers: withoutUndefined({
          'content-type': type,
          'x-gitlab-token': token,
          'x-gitlab-event': event,
          authorization: `Bearer ${API_TOKEN}`,
        }),
      })),
    fc.record({ body: bodyFor('jira'), sig: wrongSignature(JIRA_SECRET), type: contentType }).map(({ body, sig, type }) => ({
      route: 'jira' as const,
      body,
      // The GitHub-style header with a valid signature must not stand in for Jira's.
      headers: withoutUndefined({
        'content-type': type,
        'x-hub-signature': sig(bytesOf(body)),
        'x-hub-signature-256': hubSignature(JIRA_SECRET, bytesOf(body)),
      }),
    })),
    fc
      .record({ body: bodyFor('requests'), auth: wrongBearer(API_TOKEN), type: contentType, key: fc.option(headerValue) })
      .map(({ body, auth, type, key }) => ({
        route: 'requests' as const,
        body,
        headers: withoutUndefined({
          'content-type': type,
          authorization: auth,
          'idempotency-key': key ?? undefined,
          'x-gitlab-token': GITLAB_TOKEN,
        }),
      })),
    fc
      .record({
        id: fc.oneof(
          fc.stringMatching(/^req_[0-9a-hjkmnp-tv-z]{26}$/),
          nastyString.map((s) => `x${s}`),
        ),
        auth: wrongBearer(API_TOKEN),
      })
      .map(({ id, auth }) => ({
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

  it(
    `answers ${RUNS.unauthenticated} forged or unauthenticated calls with 401 (or 413 above the size limit) and stores or queues nothing`,
    async () => {
      await fc.assert(
        fc.asyncProperty(unauthenticated, async (c) => {
          fc.pre(reallyUnauthenticated(c));
          counts.unauthenticated++;
          rig.reset();
          const response = await send(rig.app, c);
          const body = await checkResponse(response, rig);
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
      for (const url of [stack.queues.intake.url, stack.queues.dispatch.url, stack.queues.notify.url])
        expect(await queueDepth(stack, url)).toBe(0);
      expect(rig.logger.lines.filter((l) => l.startsWith('error'))).toEqual([]);
    },
    TIMEOUT_MS,
  );
});

describe('fuzz: authenticated hostile input', () => {
  let stack: LocalStack;
  let rig: ReturnType<typeof instrument>;
  const settings: ProviderSettings = {
    globs: ['**/*.yaml'],
    github: { apiUrl: 'http://127.0.0.1:9/github' },
    gitlab: { apiUrl: 'http://127.0.0.1:9/gitlab' },
  };
  let accepted = 0;
  beforeAll(async () => {
    stack = await useLocalResources();
    rig = instrument(stack);
  });
  afterAll(() => stack.close());

  const signedWebhook: fc.Arbitrary<Case> = fc.oneof(
    fc
      .record({
        body: bodyFor('github'),
        event: fc.oneof(
          { arbitrary: fc.constant('push'), weight: 6 },
          { arbitrary: fc.constantFrom('ping', 'issues', '', 'pull_request'), weight: 2 },
          { arbitrary: headerValue, weight: 1 },
        ),
        delivery: fc.option(headerValue),
        type: contentType,
      })
      .map(({ body, event, delivery, type }) => ({
        route: 'github' as const,
        body,
        headers: withoutUndefined({
          'content-type': type,
          'x-github-event': event,
          'x-github-delivery': delivery ?? undefined,
          'x-hub-signature-256': hubSignature(GITHUB_SECRET, bytesOf(body)),
        }),
      })),
    fc
      .record({
        body: bodyFor('gitlab'),
        event: fc.oneof(
          { arbitrary: fc.constant('Push Hook'), weight: 6 },
          { arbitrary: fc.constant('Merge Request Hook'), weight: 1 },
          { arbitrary: headerValue, weight: 1 },
        ),
        key: fc.option(headerValue),
        uuid: fc.option(headerValue),
        type: contentType,
      })
      .map(({ body, event, key, uuid, type }) => ({
        route: 'gitlab' as const,
        body,
        headers: withoutUndefined({
          'content-type': type,
          'x-gitlab-token': GITLAB_TOKEN,
          'x-gitlab-event': event,
          'idempotency-key': key ?? undefined,
          'x-gitlab-event-uuid': uuid ?? undefined,
        }),
      })),
    fc.record({ body: bodyFor('jira'), type: contentType, id: fc.option(headerValue) }).map(({ body, type, id }) => ({
      route: 'jira' as const,
      body,
      headers: withoutUndefined({
        'content-type': type,
        'x-hub-signature': hubSignature(JIRA_SECRET, bytesOf(body)),
        'x-atlassian-webhook-identifier': id ?? undefined,
      }),
    })),
  );

  it(
    `survives ${RUNS.signedWebhooks} validly signed webhooks with hostile bodies; ` +
      'only 202s queue a job, and intake turns bad manifests into rejected records',
    async () => {
      await fc.assert(
        fc.asyncProperty(signedWebhook, async (c) => {
          counts.signedWebhooks++;
          rig.reset();
          const response = await send(rig.app, c);
          const body = await checkResponse(response, rig);
          // The webhook itself never writes to the table: it only hands a job to intake.
          expect(rig.recorded.writes).toEqual([]);
          const jobs = rig.sends(stack.queues.intake.url);
          // GitLab disables a hook that answers 4xx: a Push Hook it can send is answered 2xx whatever the body.
          if (c.route === 'gitlab' && c.headers['x-gitlab-event'] === 'Push Hook' && bytesOf(c.body).length <= PROVIDER_LIMIT) {
            expect([200, 202], JSON.stringify(body)).toContain(response.status);
          }
          if (response.status !== 202) {
            expect(rig.recorded.sqs).toEqual([]);
            if (response.status === 200) expect(body.ok === true || body.ignored === true).toBe(true);
            return;
          }
          // A push or ticket answers with its request id; a pull/merge request queues a plan job.
          if (body.plan !== true) expect(body.requestId).toMatch(/^req_[0-9a-hjkmnp-tv-z]{26}$/);
          expect(jobs).toHaveLength(1);
          // What a push job carries into keys, records and provider URLs is well-formed, however hostile the body.
          const job = JSON.parse(jobs[0]!) as { type: string; deliveryId: string; before?: string; after?: string; repository?: string };
          expect(job.deliveryId).toMatch(BOUNDED_DELIVERY);
          if (job.type === 'github.push' || job.type === 'gitlab.push') {
            expect(job.before).toMatch(COMMIT_ID);
            expect(job.after).toMatch(COMMIT_ID);
            expect(safeRepositoryPath(job.repository!), job.repository).toBe(true);
          }
          accepted++;
          if (c.route !== 'jira') return;
          // Jira jobs carry their manifests: run intake on this one now, as the intake function would.
          rig.reset();
          const outcome = await runIntake(rig, settings, { messageId: `m-${accepted}`, body: jobs[0]! });
          if (outcome.status === 'rejected') await expectRejectedOnly(stack, rig, outcome.requestId);
          if (outcome.status === 'accepted' && !outcome.duplicate)
            expect(rig.sends(stack.queues.dispatch.url)).toHaveLength(outcome.resources.filter((r) => r.state === 'Queued').length);
        }),
        fcOptions(RUNS.signedWebhooks),
      );
      expect(await queueDepth(stack, stack.queues.intake.url)).toBe(accepted);
      expect(rig.logger.lines.filter((l) => l.startsWith('error'))).toEqual([]);
    },
    TIMEOUT_MS,
  );

  const apiCall: fc.Arbitrary<Case> = fc.oneof(
    {
      arbitrary: fc
        .record({
          m: mutatedManifests(),
          key: fc.option(fc.oneof(headerValue, fc.constant('k'.repeat(257)))),
          ctype: fc.option(contentType, { freq: 4 }),
        })
        .map(({ m, key, ctype }) => ({
          route: 'requests' as const,
          body: m.text,
          headers: withoutUndefined({
            'content-type': ctype ?? m.type,
            authorization: `Bearer ${API_TOKEN}`,
            'idempotency-key': key ?? undefined,
          }),
        })),
      weight: 6,
    },
    {
      arbitrary: fc.record({ body: bodyFor('requests'), ctype: contentType, key: fc.option(headerValue) }).map(({ body, ctype, key }) => ({
        route: 'requests' as const,
        body,
        headers: withoutUndefined({
          'content-type': ctype,
          authorization: `bearer   ${API_TOKEN} `,
          'idempotency-key': key ?? undefined,
        }),
      })),
      weight: 6,
    },
    {
      arbitrary: fc
        .oneof(
          fc.stringMatching(/^req_[0-9a-hjkmnp-tv-z]{26}$/),
          nastyString.map((s) => `x${s}`),
        )
        .map((id) => ({ route: 'get-request' as const, body: id, headers: { authorization: `Bearer ${API_TOKEN}` } })),
      weight: 1,
    },
  );

  it(
    `survives ${RUNS.requestsApi} authenticated API calls with hostile ` +
      'manifests; a rejected request keeps only its record and queues nothing',
    async () => {
      await fc.assert(
        fc.asyncProperty(apiCall, async (c) => {
          counts.requestsApi++;
          rig.reset();
          const response = await send(rig.app, c);
          const body = await checkResponse(response, rig);
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
            await expectRejectedOnly(stack, rig, body.error.details.requestId);
            return;
          }
          // Every other answer (400, 409, 413, 415, 422 NO_MANIFEST) leaves no trace; a reused idempotency key
          // is found by the one conditional write that fails: the request's put, or the one-write transaction
          // when the new body is valid.
          expect(rig.recorded.writes).toEqual(
            response.status === 409 ? [expect.stringMatching(/^(PutCommand|TransactWriteCommand)$/)] : [],
          );
          expect(rig.recorded.sqs).toEqual([]);
        }),
        fcOptions(RUNS.requestsApi),
      );
      expect(rig.logger.lines.filter((l) => l.startsWith('error'))).toEqual([]);
    },
    TIMEOUT_MS,
  );
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
    [
      '500 documents with 2 KB unknown keys (a rejection larger than an item)',
      Array.from({ length: 500 }, (_, i) => JSON.stringify({ [`k${i}${'y'.repeat(2_000)}`]: 1 })).join('\n---\n'),
    ],
    ['an unknown key of 600,000 characters', notebook((m) => (m['k'.repeat(600_000)] = 'x'))],
    [
      'fifty unknown keys of 15,000 characters',
      notebook((m) =>
        Object.assign(m.metadata, Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${i}`.padEnd(15_000, 'k'), 'x']))),
      ),
    ],
  ])('answers %s without a 5xx and stores what it accepts', async (_name, text) => {
    rig.reset();
    rig.logger.lines.length = 0;
    const response = await rig.app.request('/requests', {
      method: 'POST',
      body: text,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` },
    });
    const body = await checkResponse(response, rig);
    expect([202, 422]).toContain(response.status);
    if (response.status === 422)
      await expect(tableItems(stack)).resolves.toEqual(
        expect.arrayContaining([expect.objectContaining({ requestId: body.error.details.requestId, phase: 'Rejected' })]),
      );
    expect(rig.logger.lines.filter((l) => l.startsWith('error'))).toEqual([]);
  });

  it('refuses a JSON array of 501 valid manifests (the 500-document cap) and queues none of them', async () => {
    rig.reset();
    const docs = Array.from({ length: 501 }, (_, i) => validManifest('Notebook', `capped-${i}`));
    const response = await rig.app.request('/requests', {
      method: 'POST',
      body: JSON.stringify(docs),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` },
    });
    const body = await checkResponse(response, rig);
    expect(response.status, JSON.stringify(body).slice(0, 500)).toBe(422);
    expect(body.error.code).toBe('MANIFEST_INVALID');
    expect(JSON.stringify(body.error.details)).toMatch(/\b500\b/);
    await expectRejectedOnly(stack, rig, body.error.details.requestId);
  });
});

describe('fuzz: replayed deliveries', () => {
  let stack: LocalStack;
  let rig: Rig;
  let providers: FakeProviders;
  let settings: ProviderSettings;
  beforeAll(async () => {
    stack = await useLocalResources();
    rig = instrument(stack);
    providers = await startFakeProviders({ githubToken: SECRETS.GITHUB_TOKEN!, gitlabToken: SECRETS.GITLAB_TOKEN! });
    settings = fakeProviderSettings(providers, ['provisioning/**/*.yaml']);
  });
  afterAll(async () => {
    stack.close();
    await providers.close();
  });

  /** The delivery header of each post: the same one each time, a fresh one each time, or (GitLab) none at all. */
  const replay = fc
    .record({
      provider: fc.constantFrom('github', 'gitlab'),
      times: fc.integer({ min: 2, max: 4 }),
      ids: fc.constantFrom('same', 'fresh', 'none'),
      deliveries: fc.uniqueArray(
        fc.oneof(
          fc.uuid(),
          headerValue.filter((d) => d.length > 0),
          controlHeaderValue,
        ),
        { minLength: 4, maxLength: 4, selector: (d) => d.trim() },
      ),
      gitlabHeader: fc.constantFrom('idempotency-key', 'x-gitlab-event-uuid', 'both'),
      // GitHub's redelivery sends the same bytes; a re-serialised body of the same push must be the same request too.
      spacings: fc.array(fc.constantFrom(0, 1, 2), { minLength: 4, maxLength: 4 }),
      order: fc.constantFrom('in-order', 'reversed', 'concurrent'),
    })
    .filter(({ provider, ids }) => !(provider === 'github' && ids === 'none'));

  let n = 0;
  it(
    `accepts each of ${REPLAY_RUNS} pushes once however often, and under whatever delivery ids, it is replayed`,
    async () => {
      await fc.assert(
        fc.asyncProperty(replay, async ({ provider, times, ids, deliveries, gitlabHeader, spacings, order }) => {
          counts.replay++;
          tally('replay', `${provider}:${ids}:${order}`);
          n++;
          const after = commitId(1, n);
          const name = `replay-${n}`;
          providers.commits.set(after, { 'provisioning/nb.yaml': notebookNamed(name) });
          const delivery = (i: number) => (ids === 'fresh' ? deliveries[i]! : deliveries[0]!);
          rig.reset();
          const requestIds = new Set<string>();
          for (let i = 0; i < times; i++) {
            const response =
              provider === 'github'
                ? await postGithubPush(rig, githubPush(after), delivery(i), spacings[i])
                : await postGitlabPush(
                    rig,
                    gitlabPush(after),
                    ids === 'none'
                      ? {}
                      : {
                          'idempotency-key': gitlabHeader === 'x-gitlab-event-uuid' ? undefined : delivery(i),
                          'x-gitlab-event-uuid': gitlabHeader === 'idempotency-key' ? undefined : delivery(i),
                        },
                  );
            const body = await checkResponse(response, rig);
            expect(response.status, JSON.stringify(body)).toBe(202);
            requestIds.add(body.requestId);
          }
          expect(requestIds.size).toBe(1);
          const [requestId] = requestIds;
          const jobs = rig.sends(stack.queues.intake.url);
          expect(jobs).toHaveLength(times);
          for (const job of jobs) expect(JSON.parse(job).deliveryId).toMatch(BOUNDED_DELIVERY);
          rig.reset();
          const messages = jobs.map((body, i) => ({ messageId: `${n}-${i}`, body }));
          if (order === 'reversed') messages.reverse();
          const outcomes =
            order === 'concurrent'
              ? await Promise.all(messages.map((m) => runIntake(rig, settings, m, 5)))
              : await messages.reduce<Promise<IntakeResult[]>>(
                  async (done, m) => [...(await done), await runIntake(rig, settings, m)],
                  Promise.resolve([]),
                );
          const firsts = outcomes.filter((o) => o.status === 'accepted' && !o.duplicate).length;
          const dispatched = rig.sends(stack.queues.dispatch.url).length;
          if (firsts > 1 || dispatched > 1) invariants.replayCreates += Math.max(firsts, dispatched) - 1;
          expect(outcomes.map((o) => o.status)).toEqual(Array(times).fill('accepted'));
          expect(firsts).toBe(1);
          expect(dispatched).toBe(1);
          const items = await requestItems(stack, requestId!);
          expect(items.map((i) => i.sk).sort()).toEqual(['REQ', `RES#Notebook#${name}`]);
          // The record keeps the delivery id of whichever message got there first, bounded as the webhook left it.
          expect(jobs.map((j) => JSON.parse(j).deliveryId)).toContain(items.find((i) => i.sk === 'REQ')!.source.deliveryId);
        }),
        fcOptions(REPLAY_RUNS),
      );
      const requests = (await tableItems(stack)).filter((i) => i.sk === 'REQ');
      expect(requests).toHaveLength(n);
      await expectStoredItemsFit(stack);
    },
    TIMEOUT_MS,
  );
});

describe('fuzz: map keys named like Object.prototype members', () => {
  let stack: LocalStack;
  let rig: Rig;
  let providers: FakeProviders;
  let settings: ProviderSettings;
  beforeAll(async () => {
    stack = await useLocalResources();
    rig = instrument(stack);
    providers = await startFakeProviders({ githubToken: SECRETS.GITHUB_TOKEN!, gitlabToken: SECRETS.GITLAB_TOKEN! });
    settings = {
      globs: ['provisioning/**/*.yaml'],
      github: { apiUrl: `${providers.url}/github`, token: SECRETS.GITHUB_TOKEN! },
      gitlab: { apiUrl: `${providers.url}/gitlab` },
    };
  });
  afterAll(async () => {
    stack.close();
    await providers.close();
  });

  /** The same manifests through POST /requests, the intake queue (as text or as objects) and a GitHub push's file. */
  const routes = fc.constantFrom('api', 'queue-text', 'queue-objects', 'github-push');

  /** Whether the rejection names the key: as a path segment, or quoted in a message. */
  const names = (doc: { errors: { path: string; message: string }[] }, key: string) =>
    doc.errors.some((e) => e.path.split('.').includes(key) || e.message.includes(JSON.stringify(key)));

  it('refuses __proto__ at the root of a manifest object sent on the queue, as the API refuses it in the same manifest', async () => {
    rig.reset();
    const manifest = validManifest('EdgeDeployment', 'proto-root');
    setOwn(manifest, '__proto__', { polluted: true });
    const api = await apiVerdict(rig, await postRequests(rig, JSON.stringify(manifest), 'application/json'));
    expect(api.status).toBe('rejected');
    rig.reset();
    // JSON.parse gives the message an own "__proto__" key; a schema that copied it by assignment would drop it unseen.
    const queued = intakeVerdict(
      await runIntake(rig, settings, { messageId: 'proto-root', body: JSON.stringify({ manifests: manifest }) }),
    );
    expect(queued.status, JSON.stringify(queued)).toBe('rejected');
    expect(JSON.stringify((queued as Extract<Verdict, { status: 'rejected' }>).documents)).toContain('__proto__');
    await expectRejectedOnly(stack, rig, (queued as Extract<Verdict, { status: 'rejected' }>).requestId);
  });

  let n = 0;
  it(
    `accepts such keys in every free map and refuses them, by name, everywhere else: ${RUNS.prototypeKeys} cases, API, queue and push`,
    async () => {
      await fc.assert(
        fc.asyncProperty(prototypeKeyCase(), routes, fc.boolean(), async (c, route, asOneObject) => {
          counts.prototypeKeys++;
          tally('prototypeKeys', `${route}:${c.valid ? 'valid' : 'invalid'}`);
          n++;
          rig.reset();
          // A git file or a queued text is one YAML source: a JSON array there is one (invalid) document, not a list.
          const format = route !== 'api' && c.format === 'json-array' ? 'yaml' : c.format;
          const { text, type } = serialise(c.docs, format);
          let verdict: Verdict;
          if (route === 'api') {
            verdict = await apiVerdict(rig, await postRequests(rig, text, type));
          } else if (route === 'github-push') {
            const after = commitId(2, n);
            providers.commits.set(after, { 'provisioning/manifests.yaml': text });
            const response = await postGithubPush(rig, githubPush(after), `proto-${n}`);
            expect((await checkResponse(response, rig)).requestId).toMatch(/^req_/);
            const [job] = rig.sends(stack.queues.intake.url);
            verdict = intakeVerdict(await runIntake(rig, settings, { messageId: `proto-${n}`, body: job! }));
          } else {
            // Objects are sent as parsed JSON holds them: "__proto__" an own key like any other.
            const manifests = route === 'queue-text' ? text : asOneObject && c.docs.length === 1 ? c.docs[0] : c.docs;
            verdict = intakeVerdict(await runIntake(rig, settings, { messageId: `proto-${n}`, body: JSON.stringify({ manifests }) }));
          }
          if (c.valid) {
            const items = await expectAcceptedOnce(stack, rig, verdict, c.docs.length);
            // Stored as written: each key an own property holding its value, not a lookup up the prototype chain.
            const stored = items.find((i) => i.sk === `RES#${c.target.kind}#${c.target.name}`)!.manifest;
            for (const { path, key, value } of c.insertions) {
              const map = getPath(stored, path) as Record<string, unknown>;
              expect(Object.hasOwn(map, key), `${path.join('.')}.${key} stored`).toBe(true);
              expect(map[key]).toEqual(value);
            }
            return;
          }
          expect(verdict.status, JSON.stringify(verdict)).toBe('rejected');
          const { requestId, documents } = verdict as Extract<Verdict, { status: 'rejected' }>;
          // The parser refuses __proto__ (as a key or inside a value) before anything else is checked;
          // otherwise every refused key is named.
          const parserRefuses = c.insertions.some(
            (i) => i.key === '__proto__' || (typeof i.value === 'object' && i.value !== null && Object.hasOwn(i.value, '__proto__')),
          );
          // A JSON array the parser refuses stays one document, its paths starting at the element's index.
          const index = route === 'api' && format === 'json-array' && parserRefuses ? 0 : c.target.index;
          const target = documents.find((d) => d.index === index);
          expect(target, JSON.stringify(documents)).toBeDefined();
          // A Kubernetes map checks its keys only once every value is a string: a bad key beside a bad value may go unnamed.
          const unchecked = (i: KeyInsertion) =>
            i.map === 'k8s' && typeof i.value === 'string' && c.insertions.some((j) => j.path === i.path && typeof j.value !== 'string');
          const refused = parserRefuses ? ['__proto__'] : c.insertions.filter((i) => !i.allowed && !unchecked(i)).map((i) => i.key);
          expect(refused.length).toBeGreaterThan(0);
          for (const key of refused) expect(names(target!, key), `names ${key}: ${JSON.stringify(target!.errors)}`).toBe(true);
          await expectRejectedOnly(stack, rig, requestId);
        }),
        fcOptions(RUNS.prototypeKeys),
      );
      expect(rig.logger.lines.filter((l) => l.startsWith('error'))).toEqual([]);
      await expectStoredItemsFit(stack);
    },
    TIMEOUT_MS,
  );
});

describe('fuzz: huge strings where a rejection echoes them', () => {
  let stack: LocalStack;
  let rig: Rig;
  const settings: ProviderSettings = {
    globs: ['**/*.yaml'],
    github: { apiUrl: 'http://127.0.0.1:9/github' },
    gitlab: { apiUrl: 'http://127.0.0.1:9/gitlab' },
  };
  beforeAll(async () => {
    stack = await useLocalResources();
    // A topic that does not exist: every request.rejected stays in its record's outbox, so the item holds both copies of the report.
    rig = instrument(stack, { topic: { sns: stack.sns, topicArn: `${stack.topicArn}-missing` } });
  });
  afterAll(() => stack.close());

  /** The API takes up to its 1 MiB body limit; a queue message is at most 256 KiB, JSON escaping included. */
  const huge = fc.oneof(
    { arbitrary: hugeEchoes(REQUESTS_LIMIT - 1).map((h) => ({ route: 'api' as const, ...h })), weight: 3 },
    { arbitrary: hugeEchoes(100_000).map((h) => ({ route: 'queue' as const, ...h })), weight: 1 },
  );

  let n = 0;
  it(
    `records ${RUNS.hugeStrings} manifests with huge echoed strings as bounded rejections that fit one item, without a 5xx`,
    async () => {
      await fc.assert(
        fc.asyncProperty(huge, async (c) => {
          counts.hugeStrings++;
          tally('hugeStrings', `${c.route}:${c.where}`);
          n++;
          rig.reset();
          let verdict: Verdict;
          if (c.route === 'api') {
            const response = await postRequests(rig, c.text, c.type);
            const text = await response.clone().text();
            // The answer quotes the input only in bounded pieces, and never as half a surrogate pair.
            expect(Buffer.byteLength(text)).toBeLessThan(128 * 1024);
            expect(text).not.toMatch(LONE_SURROGATE);
            verdict = await apiVerdict(rig, response);
          } else {
            const body = JSON.stringify({ manifests: c.text });
            expect(Buffer.byteLength(body)).toBeLessThanOrEqual(SQS_MESSAGE_LIMIT);
            verdict = intakeVerdict(await runIntake(rig, settings, { messageId: `huge-${n}`, body }));
          }
          expect(['accepted', 'rejected'], JSON.stringify(verdict).slice(0, 500)).toContain(verdict.status);
          if (c.invalid) expect(verdict.status).toBe('rejected');
          if (verdict.status !== 'rejected') return;
          await expectRejectedOnly(stack, rig, verdict.requestId);
          const [record] = await requestItems(stack, verdict.requestId);
          expect(record!.pendingEvents, 'request.rejected waits in the outbox').toHaveLength(1);
          noteItemSize(itemBytes(record!), `rejected request ${verdict.requestId} (${c.where})`);
          expect(JSON.stringify(record)).not.toMatch(LONE_SURROGATE);
        }),
        fcOptions(RUNS.hugeStrings),
      );
      expect(rig.logger.lines.filter((l) => l.startsWith('error'))).toEqual([]);
      await expectStoredItemsFit(stack);
    },
    TIMEOUT_MS,
  );
});

describe('fuzz: control characters in values bound for headers, paths and records', () => {
  let stack: LocalStack;
  let rig: Rig;
  let providers: FakeProviders;
  let settings: ProviderSettings;
  beforeAll(async () => {
    stack = await useLocalResources();
    rig = instrument(stack);
    providers = await startFakeProviders({ githubToken: SECRETS.GITHUB_TOKEN!, gitlabToken: SECRETS.GITLAB_TOKEN! });
    settings = fakeProviderSettings(providers, ['provisioning/**/*.yaml']);
  });
  afterAll(async () => {
    stack.close();
    await providers.close();
  });

  type ControlCase =
    | { variant: 'manifest'; route: 'api' | 'queue-text'; c: BoundFieldCase }
    | { variant: 'webhook-delivery'; provider: 'github' | 'gitlab' | 'jira'; header: string; value: string }
    | { variant: 'idempotency-key'; value: string; format: 'yaml' | 'json' }
    | { variant: 'unsendable-delivery'; value: string; provider: 'github' | 'gitlab' | 'jira' };

  const control: fc.Arbitrary<ControlCase> = fc.oneof(
    {
      arbitrary: fc.record({
        variant: fc.constant('manifest' as const),
        route: fc.constantFrom('api' as const, 'queue-text' as const),
        c: boundFieldCase(withControlChars, 'ctl-name'),
      }),
      weight: 4,
    },
    {
      arbitrary: fc
        .record({
          provider: fc.constantFrom('github' as const, 'gitlab' as const, 'jira' as const),
          gitlabHeader: fc.constantFrom('idempotency-key', 'x-gitlab-event-uuid'),
          value: controlHeaderValue,
        })
        .map(({ provider, gitlabHeader, value }) => ({
          variant: 'webhook-delivery' as const,
          provider,
          header: provider === 'github' ? 'x-github-delivery' : provider === 'gitlab' ? gitlabHeader : 'x-atlassian-webhook-identifier',
          value,
        })),
      weight: 3,
    },
    {
      arbitrary: fc.record({
        variant: fc.constant('idempotency-key' as const),
        value: controlHeaderValue,
        format: fc.constantFrom('yaml' as const, 'json' as const),
      }),
      weight: 2,
    },
    {
      arbitrary: fc.record({
        variant: fc.constant('unsendable-delivery' as const),
        value: unsendableHeaderValue,
        provider: fc.constantFrom('github' as const, 'gitlab' as const, 'jira' as const),
      }),
      weight: 1,
    },
  );

  /** Posts a valid push or ticket for a new notebook; returns the queued job. */
  async function validDelivery(
    provider: 'github' | 'gitlab' | 'jira',
    headers: Record<string, string>,
    n: number,
  ): Promise<{ requestId: string; job: string }> {
    const name = `ctl-${n}`;
    let response: Response;
    if (provider === 'jira') {
      response = await postJira(
        rig,
        {
          webhookEvent: 'jira:issue_created',
          issue: { key: `CTL-${n}`, fields: { description: `\`\`\`yaml\n${notebookNamed(name)}\`\`\`\n` } },
        },
        headers,
      );
    } else {
      const after = commitId(3, n);
      providers.commits.set(after, { 'provisioning/nb.yaml': notebookNamed(name) });
      response =
        provider === 'github'
          ? await postGithubPush(rig, githubPush(after), headers['x-github-delivery']!)
          : await postGitlabPush(rig, gitlabPush(after), headers);
    }
    const body = await checkResponse(response, rig);
    expect(response.status, JSON.stringify(body)).toBe(202);
    const jobs = rig.sends(stack.queues.intake.url);
    expect(jobs).toHaveLength(1);
    return { requestId: body.requestId, job: jobs[0]! };
  }

  let n = 0;
  it(
    `refuses ${CONTROL_RUNS.values} control characters wherever a header, path or host takes them, and bounds delivery ids`,
    async () => {
      await fc.assert(
        fc.asyncProperty(control, async (cc) => {
          counts.controlChars++;
          n++;
          rig.reset();
          switch (cc.variant) {
            case 'manifest': {
              const { c, route } = cc;
              tally('controlChars', `${route}:${c.field.kind}.${c.field.path.join('.')}`);
              const { text, type } = serialise([c.doc], route === 'api' ? c.format : c.format === 'json-array' ? 'yaml' : c.format);
              const verdict =
                route === 'api'
                  ? await apiVerdict(rig, await postRequests(rig, text, type))
                  : intakeVerdict(await runIntake(rig, settings, { messageId: `ctl-${n}`, body: JSON.stringify({ manifests: text }) }));
              const path = c.field.path.join('.');
              if (c.field.reaches !== 'query') {
                expect(verdict.status, `${path} = ${JSON.stringify(c.value)}: ${JSON.stringify(verdict)}`).toBe('rejected');
                const { documents, requestId } = verdict as Extract<Verdict, { status: 'rejected' }>;
                expect(documents[0]!.errors.map((e) => e.path)).toContain(path);
                await expectRejectedOnly(stack, rig, requestId);
                return;
              }
              // A query value is URL-encoded wherever it goes: it may be accepted, and is then stored exactly as written.
              expect(['accepted', 'rejected']).toContain(verdict.status);
              if (verdict.status === 'accepted') {
                const [item] = (await expectAcceptedOnce(stack, rig, verdict, 1)).filter((i) => i.sk !== 'REQ');
                expect(getPath(item!.manifest, c.field.path)).toBe(c.value);
              }
              return;
            }
            case 'webhook-delivery': {
              tally('controlChars', `${cc.provider}:${cc.header}`);
              const { requestId, job } = await validDelivery(cc.provider, { [cc.header]: cc.value }, n);
              // The header as the route sees it (fetch trims spaces and tabs at the ends), bounded as the webhook bounds it.
              const received = new Headers({ x: cc.value }).get('x')!;
              const { deliveryId } = JSON.parse(job) as { deliveryId: string };
              expect(deliveryId).toMatch(BOUNDED_DELIVERY);
              expect(deliveryId).toBe(boundedDeliveryId(received));
              rig.reset();
              const outcome = await runIntake(rig, settings, { messageId: `ctl-${n}`, body: job });
              await expectAcceptedOnce(stack, rig, intakeVerdict(outcome), 1);
              const [record] = await requestItems(stack, requestId);
              expect(record!.source.deliveryId).toBe(deliveryId);
              return;
            }
            case 'idempotency-key': {
              tally('controlChars', 'api:idempotency-key');
              const { text, type } = serialise([validManifest('Notebook', `ctl-key-${n}`)], cc.format);
              // Keys belong to the caller: one reused by a later case with another body is (rightly) a 409.
              const header = `${n}:${cc.value}`;
              const key = new Headers({ x: header }).get('x')!;
              const first = await postRequests(rig, text, type, { 'idempotency-key': header });
              const firstBody = await checkResponse(first, rig);
              if (key.length > 256) {
                expect(first.status).toBe(400);
                expect(firstBody.error.code).toBe('INVALID_IDEMPOTENCY_KEY');
                expect(rig.recorded.writes).toEqual([]);
                return;
              }
              expect(first.status, JSON.stringify(firstBody)).toBe(202);
              expect(rig.sends(stack.queues.dispatch.url)).toHaveLength(1);
              // The same key and body again: the first request's answer, and nothing queued a second time.
              const again = await postRequests(rig, text, type, { 'idempotency-key': header });
              const againBody = await checkResponse(again, rig);
              expect(again.status).toBe(202);
              expect(againBody.requestId).toBe(firstBody.requestId);
              const dispatched = rig.sends(stack.queues.dispatch.url).length;
              if (dispatched > 1) invariants.replayCreates += dispatched - 1;
              expect(dispatched).toBe(1);
              return;
            }
            case 'unsendable-delivery': {
              tally('controlChars', `queue:${cc.provider}:unsendable-delivery`);
              // No client can send these in a header; a job another system puts on the queue can still carry them.
              expect(() => new Headers({ 'x-github-delivery': cc.value })).toThrow();
              expect(boundedDeliveryId(cc.value)).toMatch(/^sha256:[0-9a-f]{32}$/);
              const { job } = await validDelivery(cc.provider, {}, n);
              rig.reset();
              const outcome = await runIntake(rig, settings, {
                messageId: `ctl-${n}`,
                body: JSON.stringify({ ...JSON.parse(job), deliveryId: cc.value }),
              });
              expect(['accepted', 'rejected']).toContain(outcome.status);
              return;
            }
          }
        }),
        fcOptions(CONTROL_RUNS.values),
      );
      expect(rig.logger.lines.filter((l) => l.startsWith('error'))).toEqual([]);
      await expectStoredItemsFit(stack);
    },
    TIMEOUT_MS,
  );

  /** A pull request (GitHub) or merge request (GitLab) event that queues a plan job. */
  const planDelivery = fc.record({
    provider: fc.constantFrom('github' as const, 'gitlab' as const),
    header: fc.constantFrom('idempotency-key', 'x-gitlab-event-uuid'),
    value: controlHeaderValue,
  });

  it(
    `bounds the delivery headers of ${CONTROL_RUNS.plans} pull and merge request events as well`,
    async () => {
      await fc.assert(
        fc.asyncProperty(planDelivery, async ({ provider, header, value }) => {
          counts.controlChars++;
          tally('controlChars', provider === 'github' ? 'github:pull_request:x-github-delivery' : `gitlab:merge_request:${header}`);
          n++;
          rig.reset();
          const sha = commitId(5, n);
          const repo = { id: 1296269, full_name: 'acme/infra' };
          let response: Response;
          if (provider === 'github') {
            const body = JSON.stringify({
              action: 'opened',
              number: n,
              pull_request: {
                updated_at: '2026-01-01T00:00:00Z',
                base: { ref: 'main', sha: ZERO_SHA.replace(/^0/, '1'), repo },
                head: { ref: 'change', sha, repo },
              },
              repository: { ...repo, default_branch: 'main' },
            });
            response = await rig.app.request('/webhooks/github', {
              method: 'POST',
              body,
              headers: {
                'content-type': 'application/json',
                'x-github-event': 'pull_request',
                'x-github-delivery': value,
                'x-hub-signature-256': hubSignature(GITHUB_SECRET, body),
              },
            });
          } else {
            const payload = {
              object_kind: 'merge_request',
              project: { id: 42, path_with_namespace: 'group/infra', default_branch: 'main' },
              object_attributes: {
                iid: n,
                action: 'open',
                source_project_id: 42,
                target_project_id: 42,
                target_branch: 'main',
                updated_at: '2026-01-01T00:00:00Z',
                last_commit: { id: sha },
              },
            };
            response = await rig.app.request('/webhooks/gitlab', {
              method: 'POST',
              body: JSON.stringify(payload),
              headers: {
                'content-type': 'application/json',
                'x-gitlab-token': GITLAB_TOKEN,
                'x-gitlab-event': 'Merge Request Hook',
                [header]: value,
              },
            });
          }
          const body = await checkResponse(response, rig);
          expect(response.status, JSON.stringify(body)).toBe(202);
          const [job] = rig.sends(stack.queues.intake.url);
          const { deliveryId } = JSON.parse(job!) as { deliveryId: string };
          expect(deliveryId, `${provider} plan job for delivery header ${JSON.stringify(value)}`).toMatch(BOUNDED_DELIVERY);
        }),
        fcOptions(CONTROL_RUNS.plans),
      );
    },
    TIMEOUT_MS,
  );
});

describe('fuzz: dot segments in values that reach API paths', () => {
  let stack: LocalStack;
  let rig: Rig;
  const settings: ProviderSettings = {
    globs: ['**/*.yaml'],
    github: { apiUrl: 'http://127.0.0.1:9/github' },
    gitlab: { apiUrl: 'http://127.0.0.1:9/gitlab' },
  };
  beforeAll(async () => {
    stack = await useLocalResources();
    rig = instrument(stack);
  });
  afterAll(() => stack.close());

  let n = 0;
  it(
    `never accepts a path-bound value that could leave its path segment: ${RUNS.dotSegments} cases`,
    async () => {
      await fc.assert(
        fc.asyncProperty(boundFieldCase(withDotSegments, 'dot-name'), fc.constantFrom('api', 'queue-text'), async (c, route) => {
          counts.dotSegments++;
          const path = c.field.path.join('.');
          tally('dotSegments', `${route}:${c.field.kind}.${path}`);
          n++;
          rig.reset();
          const { text, type } = serialise([c.doc], route === 'api' ? c.format : c.format === 'json-array' ? 'yaml' : c.format);
          const verdict =
            route === 'api'
              ? await apiVerdict(rig, await postRequests(rig, text, type))
              : intakeVerdict(await runIntake(rig, settings, { messageId: `dot-${n}`, body: JSON.stringify({ manifests: text }) }));
          expect(['accepted', 'rejected'], JSON.stringify(verdict)).toContain(verdict.status);
          if (verdict.status === 'rejected') {
            await expectRejectedOnly(stack, rig, verdict.requestId);
            if (c.field.reaches !== 'query') expect(verdict.documents[0]!.errors.map((e) => e.path)).toContain(path);
            return;
          }
          expect(c.field.reaches === 'query' || !escapesPath(c.value), `${path} = ${JSON.stringify(c.value)} was accepted`).toBe(true);
          const [item] = (await expectAcceptedOnce(stack, rig, verdict, 1)).filter((i) => i.sk !== 'REQ');
          expect(getPath(item!.manifest, c.field.path)).toBe(c.value);
        }),
        fcOptions(RUNS.dotSegments),
      );
      expect(rig.logger.lines.filter((l) => l.startsWith('error'))).toEqual([]);
    },
    TIMEOUT_MS,
  );
});

describe('fuzz: hostile repository names', () => {
  let stack: LocalStack;
  let rig: Rig;
  let providers: FakeProviders;
  let settings: ProviderSettings;
  beforeAll(async () => {
    stack = await useLocalResources();
    rig = instrument(stack);
    providers = await startFakeProviders({ githubToken: SECRETS.GITHUB_TOKEN!, gitlabToken: SECRETS.GITLAB_TOKEN! });
    settings = fakeProviderSettings(providers, ['provisioning/**/*.yaml']);
  });
  afterAll(async () => {
    stack.close();
    await providers.close();
  });

  const named = fc
    .constantFrom('github' as const, 'gitlab' as const)
    .chain((provider) => fc.record({ provider: fc.constant(provider), repo: repositoryName(provider) }));

  let n = 0;
  it(
    `refuses ${RUNS.repositoryNames} malformed repository names at the webhook, and reads well-formed ones only inside their own API path`,
    async () => {
      await fc.assert(
        fc.asyncProperty(named, async ({ provider, repo }) => {
          counts.repositoryNames++;
          tally('repositoryNames', `${provider}:${repo.hostile ? 'hostile' : 'well-formed'}`);
          n++;
          rig.reset();
          const after = commitId(4, n);
          const name = `repo-${n}`;
          providers.commits.set(after, { 'provisioning/nb.yaml': notebookNamed(name) });
          const response =
            provider === 'github'
              ? await postGithubPush(rig, githubPush(after, repo.name, 4242), `repo-${n}`)
              : await postGitlabPush(rig, gitlabPush(after, repo.name, 4242));
          const body = await checkResponse(response, rig);
          if (repo.hostile) {
            // GitHub is told what is wrong; GitLab gets a 200 with the reason, since a 4xx would disable its hook.
            if (provider === 'github') {
              expect(response.status, JSON.stringify(body)).toBe(400);
              expect(body.error.code).toBe('INVALID_PAYLOAD');
              expect(body.error.details.issues.map((i: { path: string }) => i.path)).toContain('repository.full_name');
            } else {
              expect(response.status, JSON.stringify(body)).toBe(200);
              expect(body).toMatchObject({ ignored: true, reason: expect.stringContaining('path_with_namespace') });
            }
            expect(rig.recorded.sqs).toEqual([]);
            return;
          }
          expect(response.status, JSON.stringify(body)).toBe(202);
          const [job] = rig.sends(stack.queues.intake.url);
          const calls = providers.calls.length;
          rig.reset();
          const outcome = await runIntake(rig, settings, { messageId: `repo-${n}`, body: job! });
          await expectAcceptedOnce(stack, rig, intakeVerdict(outcome), 1);
          if (provider === 'github') {
            for (const call of providers.calls.slice(calls))
              expect(call.path.startsWith(`/github/repos/${repo.name}/git/`), call.path).toBe(true);
          }
          const [record] = await requestItems(stack, body.requestId);
          expect(record!.source.repository).toBe(repo.name);
        }),
        fcOptions(RUNS.repositoryNames),
      );
      expect(rig.logger.lines.filter((l) => l.startsWith('error'))).toEqual([]);
    },
    TIMEOUT_MS,
  );
});

describe('fuzz: broken intake queue messages', () => {
  let stack: LocalStack;
  let rig: Rig;
  let providers: FakeProviders;
  let settings: ProviderSettings;
  beforeAll(async () => {
    stack = await useLocalResources();
    rig = instrument(stack, { topic: { sns: stack.sns, topicArn: `${stack.topicArn}-missing` } });
    // Up, so no read can fail for a reason a redelivery would fix: every commit it is asked for is unknown (404).
    providers = await startFakeProviders({ githubToken: SECRETS.GITHUB_TOKEN!, gitlabToken: SECRETS.GITLAB_TOKEN! });
    settings = fakeProviderSettings(providers, ['**/*.yaml']);
  });
  afterAll(async () => {
    stack.close();
    await providers.close();
  });

  let n = 0;
  it(
    `ends each of ${RUNS.intakeMessages} broken queue messages as a recorded request or nothing, never a throw`,
    async () => {
      await fc.assert(
        fc.asyncProperty(intakeMessageBody(notebookNamed('queued')), async (body) => {
          counts.intakeMessages++;
          n++;
          rig.reset();
          const outcome = await runIntake(rig, settings, { messageId: `broken-${n}`, body });
          tally('intakeMessages', outcome.status);
          if (outcome.status === 'rejected') {
            const [record] = await requestItems(stack, outcome.requestId);
            expect(record).toMatchObject({ sk: 'REQ', phase: 'Rejected' });
          }
        }),
        fcOptions(RUNS.intakeMessages),
      );
      await expectStoredItemsFit(stack);
    },
    TIMEOUT_MS,
  );
});
