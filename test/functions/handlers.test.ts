/**
 * The Lambda entry points themselves, invoked with the sample events in events/ against the emulators and
 * the simulator: configuration comes from the environment exactly as on Lambda.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2, Context, ScheduledEvent, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATOR_DEFAULTS, startSimulator, type RunningSimulator } from '../../local/huaweicloud-simulator/index';
import { lambdaContext } from '../../local/runner';
import { signLink } from '../../shared/http/links';
import { useLocalResources, type LocalStack } from '../setup/stack';

const load = <T>(name: string): T => JSON.parse(readFileSync(`events/${name}`, 'utf8')) as T;
const TOKEN = 'handler-test-token-0123456789abcdef';
const GITHUB_SECRET = 'handler-test-github-secret';
const UI_SIGNING_KEY = 'handler-test-ui-signing-key-0123456789abcdef';

type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<{ statusCode: number; body: string }>;

describe('Lambda handlers with the sample events', () => {
  let stack: LocalStack;
  let simulator: RunningSimulator;
  let webhook: HttpHandler;
  let api: HttpHandler;
  let ui: HttpHandler;
  let intake: (event: SQSEvent, context: Context) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
  let dispatch: typeof intake;
  let poll: (event: ScheduledEvent, context: Context) => Promise<{ itemsRead: number; finished: number }>;

  beforeAll(async () => {
    stack = await useLocalResources();
    simulator = await startSimulator({ port: 0 });
    Object.assign(process.env, stack.env, {
      API_TOKENS: `ci=${TOKEN}`,
      GITHUB_WEBHOOK_SECRET: GITHUB_SECRET,
      UI_SIGNING_KEY,
      TRACKED_BRANCHES: 'master',
      HUAWEICLOUD_SDK_AK: SIMULATOR_DEFAULTS.ak,
      HUAWEICLOUD_SDK_SK: SIMULATOR_DEFAULTS.sk,
      HUAWEICLOUD_SDK_PROJECT_ID: SIMULATOR_DEFAULTS.projectId,
      HUAWEICLOUD_MODELARTS_ENDPOINT: simulator.url,
      HUAWEICLOUD_IEF_ENDPOINT: simulator.url,
      POLL_BACKOFF_SCALE: '0.01',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    ({ handler: webhook } = (await import('../../functions/webhook')) as unknown as { handler: HttpHandler });
    ({ handler: api } = (await import('../../functions/api')) as unknown as { handler: HttpHandler });
    ({ handler: ui } = (await import('../../functions/ui')) as unknown as { handler: HttpHandler });
    ({ handler: intake } = (await import('../../functions/intake')) as never);
    ({ handler: dispatch } = (await import('../../functions/dispatch')) as never);
    ({ handler: poll } = (await import('../../functions/poll')) as never);
  });
  afterAll(async () => {
    stack.close();
    await simulator.close();
  });

  it('api: POST /requests from an API Gateway v2 event answers 202, then GET shows the request', async () => {
    const event = load<APIGatewayProxyEventV2>('api-post-requests.json');
    event.headers.authorization = `Bearer ${TOKEN}`;
    const response = await api(event, lambdaContext({ functionName: 'api' }));
    expect(response.statusCode).toBe(202);
    const { requestId } = JSON.parse(response.body);

    const get = load<APIGatewayProxyEventV2>('api-get-request.json');
    get.headers.authorization = `Bearer ${TOKEN}`;
    get.rawPath = `/requests/${requestId}`;
    get.requestContext.http.path = get.rawPath;
    get.pathParameters = { id: requestId };
    const view = await api(get, lambdaContext());
    expect(view.statusCode).toBe(200);
    expect(JSON.parse(view.body).resources).toEqual([expect.objectContaining({ kind: 'EdgeDeployment', name: 'app', state: 'Queued' })]);
  });

  it('ui: the sample page event with a signed link shows the request page; without one it sends the reader to sign in', async () => {
    const event = load<APIGatewayProxyEventV2>('api-post-requests.json');
    event.headers.authorization = `Bearer ${TOKEN}`;
    const { requestId } = JSON.parse((await api(event, lambdaContext())).body);
    const page = load<APIGatewayProxyEventV2>('ui-request-page.json');
    const token = signLink(requestId, UI_SIGNING_KEY, new Date());
    page.rawPath = `/ui/requests/${requestId}`;
    page.requestContext.http.path = page.rawPath;
    page.rawQueryString = `t=${token}`;
    page.queryStringParameters = { t: token };
    const shown = await ui(page, lambdaContext({ functionName: 'ui' }));
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toContain(requestId);
    expect(shown.body).toMatch(/data-name="app"/);

    page.rawQueryString = '';
    page.queryStringParameters = {};
    const anonymous = (await ui(page, lambdaContext())) as { statusCode: number; headers?: Record<string, string> };
    expect(anonymous.statusCode).toBe(302);
    expect(anonymous.headers?.location).toContain('/ui/login');
  });

  it('webhook: a signed GitHub push answers 202 and queues an intake job', async () => {
    const event = load<APIGatewayProxyEventV2>('webhook-github-push.json');
    event.headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', GITHUB_SECRET).update(event.body!).digest('hex')}`;
    const response = await webhook(event, lambdaContext());
    expect(response.statusCode).toBe(202);
    const jobs = (await stack.drainQueue(stack.queues.intake.url, { count: 1 })).map((b) => JSON.parse(b));
    expect(jobs).toEqual([expect.objectContaining({ type: 'github.push', repository: 'Codertocat/Hello-World', branch: 'master' })]);
  });

  it("intake: both sample records (a Jira job and another system's manifests) become requests, no failures", async () => {
    const result = await intake(load<SQSEvent>('intake-sqs.json'), lambdaContext({ timeoutMs: 60_000 }));
    expect(result.batchItemFailures).toEqual([]);
    const queued = (await stack.drainQueue(stack.queues.dispatch.url, { count: 3, waitMs: 500 })).map((b) => JSON.parse(b));
    expect(queued.map((m: { name: string }) => m.name).sort()).toEqual(['app', 'app', 'app-from-cmdb']);
  });

  it('dispatch and poll: the sample dispatch event creates its resource and a tick finishes it', async () => {
    const event = load<SQSEvent>('dispatch-sqs.json');
    // The sample names a request that exists only in the sample; point it at the one intake just recorded.
    const [record] = event.Records;
    const jira = load<SQSEvent>('intake-sqs.json').Records[0]!;
    record!.body = JSON.stringify({ requestId: JSON.parse(jira.body).requestId, kind: 'EdgeDeployment', name: 'app' });
    const result = await dispatch(event, lambdaContext({ timeoutMs: 60_000 }));
    expect(result.batchItemFailures).toEqual([]);
    let finished = 0;
    for (let i = 0; i < 40 && finished === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      finished = (await poll(load<ScheduledEvent>('poll-schedule.json'), lambdaContext({ timeoutMs: 60_000 }))).finished;
    }
    expect(finished).toBe(1);
  });

  it('dispatch: a record that is not a dispatch message is reported as a batch failure, not thrown', async () => {
    const event = load<SQSEvent>('dispatch-sqs.json');
    event.Records[0]!.body = '{"nonsense":true}';
    const result = await dispatch(event, lambdaContext());
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]!.messageId }]);
  });
});
