/**
 * `npm start`: the whole product on this machine. Real protocol emulators (fauxqs for SQS/SNS, DynamoDB
 * Local), the Huawei simulator, the HTTP API, and runners that feed the same Lambda handlers with real
 * SQS events and schedule ticks. Ctrl-C stops everything it started.
 *
 * `npm start -- --fake-providers` adds local fakes of GitHub, GitLab, Jira and a webhook subscriber (see
 * local/fake-providers/), points the product at them and prints what they receive.
 *
 * What a restart must find again lives in the state directory (.local/): DynamoDB Local's files, the
 * simulator's resources and the secrets this script made up. fauxqs keeps nothing; the poller re-queues.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SNSClient } from '@aws-sdk/client-sns';
import { localAwsConfig, startDynamoDbLocal, startSqsEmulator } from './emulators';
import { provisionResources, subscribeQueue } from './resources';
import { startQueueRunner, startScheduleRunner, type Runner } from './runner';
import { DURATION_PRESETS, SIMULATOR_DEFAULTS, startSimulator } from './huaweicloud-simulator/index';
import { createEventPrinter } from './event-printer';
import { createProgress, progressToken } from './progress';
import { startLocalProviders, type LocalProviders } from './fake-providers/index';
import { DEMO_REPOSITORY, exampleFiles, manifestGlobs, removeSendState, writeSendState, type SendState } from './fake-providers/demo';
import { formatRecord } from './fake-providers/printer';
import { LOCAL_OIDC_CLIENT, startOidcIssuer } from './oidc-issuer';

const say = (line = '') => process.stdout.write(`${line}\n`);
// 24 random bytes: 32 characters, the shortest token API_TOKENS accepts.
const token = () => randomBytes(24).toString('base64url');
const WEBHOOK_SECRET_NAMES = ['GITHUB_WEBHOOK_SECRET', 'GITLAB_WEBHOOK_TOKEN', 'JIRA_WEBHOOK_SECRET'] as const;
const SECRET_NAMES = ['API_TOKENS', ...WEBHOOK_SECRET_NAMES, 'UI_SIGNING_KEY'] as const;
type SecretName = (typeof SECRET_NAMES)[number];

/** Files of the state directory, each removed by --reset; nothing else there is touched. */
export const STATE_FILES = { dynamodb: 'dynamodb', simulator: 'simulator.json', secrets: 'secrets.json' } as const;

/** A file of the state directory that cannot be used as it is. */
export class LocalStateError extends Error {
  readonly code = 'LOCAL_STATE';
  constructor(message: string) {
    super(message);
    this.name = 'LocalStateError';
  }
}

/** `npm start -- --reset`: back to nothing (table, simulator resources, secrets), leaving anything else in the directory alone. */
export function resetState(stateDir: string): void {
  for (const name of Object.values(STATE_FILES)) rmSync(join(stateDir, name), { recursive: true, force: true });
  removeSendState(stateDir);
}

function readSecrets(file: string): Partial<Record<SecretName, string>> {
  if (!existsSync(file)) return {};
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new LocalStateError(`${file} is not JSON: delete it, or run npm start -- --reset`);
  }
  const record = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  return Object.fromEntries(
    SECRET_NAMES.filter((name) => typeof record[name] === 'string' && record[name] !== '').map((name) => [name, record[name] as string]),
  );
}

/** Readable by its owner only: it holds a bearer token and webhook secrets. */
function writeSecrets(file: string, secrets: Partial<Record<SecretName, string>>): void {
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  chmodSync(partial, 0o600);
  renameSync(partial, file);
}

/**
 * Secrets a developer did not set get throwaway values, kept in the state directory so that a restart
 * keeps the printed curl and any registered webhook working. Only those are printed, never one that was given.
 */
function developmentSecrets(file: string): { generated: Record<string, string>; given: string[] } {
  const kept = readSecrets(file);
  const generated: Record<string, string> = {};
  const given: string[] = [];
  const fresh: Record<SecretName, () => string> = {
    // A second caller approves what the local policy holds for approval: an approver may not be the requester.
    API_TOKENS: () => `local:submit+read-all=${token()},approver:approve+read-all=${token()}`,
    GITHUB_WEBHOOK_SECRET: token,
    GITLAB_WEBHOOK_TOKEN: token,
    JIRA_WEBHOOK_SECRET: token,
    // Kept across restarts like the others, so the links in statuses and comments keep opening their pages.
    UI_SIGNING_KEY: token,
  };
  for (const name of SECRET_NAMES) {
    if (process.env[name]) {
      given.push(name);
      continue;
    }
    kept[name] ??= fresh[name]();
    process.env[name] = kept[name];
    generated[name] = kept[name];
  }
  writeSecrets(file, kept);
  return { generated, given };
}

/** The local issuer's people: sign in as either, no password, to see the pages with their roles. */
const LOCAL_OIDC_USERS = { alice: { name: 'Alice' }, bob: { name: 'Bob' } };
const LOCAL_OIDC_ROLES = 'alice=read-all+approve,bob=submit';

/** Where the notifier will report, by what is configured; names only, never a token. */
function feedbackTargets(): string[] {
  const env = process.env;
  return [
    env.GITHUB_TOKEN ? 'GitHub statuses and PR plans' : '',
    env.GITLAB_TOKEN ? 'GitLab statuses and MR plans' : '',
    env.JIRA_BASE_URL && env.JIRA_EMAIL && env.JIRA_API_TOKEN ? 'Jira comments' : '',
    env.WEBHOOK_SUBSCRIBERS ? 'webhook subscribers' : '',
  ].filter(Boolean);
}

const FEEDBACK_VARIABLES = [
  'GITHUB_TOKEN',
  'GITLAB_TOKEN',
  'GITHUB_API_URL',
  'GITLAB_API_URL',
  'JIRA_BASE_URL',
  'JIRA_EMAIL',
  'JIRA_API_TOKEN',
  'WEBHOOK_SUBSCRIBERS',
] as const;

/**
 * Starts the fakes and points every feedback variable at them. Must run before the handlers are imported:
 * the configuration module reads these at first use and keeps them.
 */
async function startFakeProviders(print: (line: string) => void): Promise<{ providers: LocalProviders; replaced: string[] }> {
  const replaced = FEEDBACK_VARIABLES.filter((name) => process.env[name]);
  const tokens = {
    githubToken: `ghp_${token()}`,
    gitlabToken: `glpat-${token()}`,
    jiraEmail: 'hwc-provisioner@example.com',
    jiraToken: token(),
  };
  const providers = await startLocalProviders({ ...tokens, onRecord: (record) => print(formatRecord(record)) });
  const subscriberSecret = `whsec_${randomBytes(32).toString('base64')}`;
  providers.feedback.subscriber('local', subscriberSecret);
  Object.assign(process.env, {
    GITHUB_TOKEN: tokens.githubToken,
    GITLAB_TOKEN: tokens.gitlabToken,
    GITHUB_API_URL: providers.githubUrl,
    GITLAB_API_URL: providers.gitlabUrl,
    JIRA_BASE_URL: providers.jiraUrl,
    JIRA_EMAIL: tokens.jiraEmail,
    JIRA_API_TOKEN: tokens.jiraToken,
    WEBHOOK_SUBSCRIBERS: JSON.stringify([{ url: providers.subscriberUrl('local'), secret: subscriberSecret }]),
  });
  // The default branch starts with the examples, where MANIFEST_GLOBS looks; demo pushes add to it.
  const files = {
    'README.md': '# acme/infra\n\nA fake repository of `npm start -- --fake-providers`.\n',
    ...exampleFiles(manifestGlobs()),
  };
  providers.createRepository('github', DEMO_REPOSITORY, files);
  providers.createRepository('gitlab', DEMO_REPOSITORY, files, { projectId: 42 });
  return { providers, replaced };
}

export interface StackOptions {
  /**
   * Where DynamoDB Local keeps its files, the simulator its resources and this script the secrets it made
   * up, and where `npm run local:send` finds the stack (default .local).
   */
  stateDir?: string;
  /** Start from nothing: remove what stateDir holds first (not the table of emulators passed in). */
  reset?: boolean;
  /** The simulator's realistic durations (minutes for pools) instead of sub-second ones. */
  realistic?: boolean;
  /** HTTP API port; 0 picks a free one. */
  port?: number;
  fakeProviders?: boolean;
  /** Lines the stack prints: events, fake provider records. */
  print?: (line: string) => void;
  /** Emulators already running (tests); by default the stack starts its own fauxqs and file-backed DynamoDB Local. */
  emulators?: { sqsEndpoint: string; dynamodbEndpoint: string };
  /** Prefix of the table, queues and topic (default hwcp-local). */
  prefix?: string;
}

export interface RunningStack {
  apiUrl: string;
  stateDir: string;
  prefix: string;
  tableName: string;
  simulatorUrl?: string;
  realistic: boolean;
  sqsEndpoint: string;
  dynamodbEndpoint: string;
  /** Secrets made up for this state directory (now or by an earlier run), never one that was given. */
  generated: Record<string, string>;
  /** Names of the secrets taken from the environment. */
  given: string[];
  fake?: { providers: LocalProviders; replaced: string[] };
  /** The local OpenID Connect issuer, unless OIDC_ISSUER_URL named another. */
  oidcIssuer?: { url: string; users: string[] };
  stop(): Promise<void>;
}

/** Everything but the banner and signals, so a test can start the same stack on shared emulators. */
export async function startStack(opts: StackOptions = {}): Promise<RunningStack> {
  const print = opts.print ?? say;
  const stateDir = opts.stateDir ?? '.local';
  const prefix = opts.prefix ?? 'hwcp-local';
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
  };
  try {
    if (opts.reset) resetState(stateDir);
    // Owner only when created here: it holds a bearer token and webhook secrets (secrets.json is 0600 regardless).
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    let sqsEndpoint = opts.emulators?.sqsEndpoint;
    let dynamodbEndpoint = opts.emulators?.dynamodbEndpoint;
    if (!sqsEndpoint || !dynamodbEndpoint) {
      mkdirSync(`${stateDir}/dynamodb`, { recursive: true });
      const sqsEmulator = await startSqsEmulator();
      stops.push(() => sqsEmulator.stop());
      // File-backed, so a restart keeps requests and resources (fauxqs keeps nothing; the poller re-queues).
      const dynamodb = await startDynamoDbLocal({ dbPath: resolve(stateDir, 'dynamodb') });
      stops.push(() => dynamodb.stop());
      sqsEndpoint = sqsEmulator.endpoint;
      dynamodbEndpoint = dynamodb.endpoint;
    }
    const resources = await provisionResources({ prefix, sqsEndpoint, dynamodbEndpoint });

    let simulatorUrl: string | undefined;
    if (!process.env.HUAWEICLOUD_SDK_AK) {
      const simulator = await startSimulator({
        port: Number(process.env.SIMULATOR_PORT ?? 0),
        durations: opts.realistic ? 'realistic' : 'fast',
        stateFile: join(stateDir, STATE_FILES.simulator),
      });
      stops.push(() => simulator.close());
      simulatorUrl = simulator.url;
      Object.assign(process.env, {
        HUAWEICLOUD_SDK_AK: SIMULATOR_DEFAULTS.ak,
        HUAWEICLOUD_SDK_SK: SIMULATOR_DEFAULTS.sk,
        HUAWEICLOUD_SDK_PROJECT_ID: process.env.HUAWEICLOUD_SDK_PROJECT_ID || SIMULATOR_DEFAULTS.projectId,
        HUAWEICLOUD_MODELARTS_ENDPOINT: simulator.url,
        HUAWEICLOUD_IEF_ENDPOINT: simulator.url,
      });
    }
    Object.assign(process.env, resources.env, {
      POLL_BACKOFF_SCALE: process.env.POLL_BACKOFF_SCALE ?? '0.1',
      WAIT_RECHECK_SECONDS: process.env.WAIT_RECHECK_SECONDS ?? '2',
      DISPATCH_LEASE_SECONDS: process.env.DISPATCH_LEASE_SECONDS ?? '30',
      QUEUED_GRACE_SECONDS: process.env.QUEUED_GRACE_SECONDS ?? '30',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      // Short enough to watch: change a resource in the simulator and its drift is reported within two minutes.
      DRIFT_INTERVAL_MINUTES: process.env.DRIFT_INTERVAL_MINUTES ?? '1',
      // Permissive, but GPU pools filed in tickets wait for an approver, so the approval flow can be tried (local/policy.yaml).
      POLICY_FILE: process.env.POLICY_FILE ?? LOCAL_POLICY_FILE,
      JIRA_APPROVAL_STATUS: process.env.JIRA_APPROVAL_STATUS ?? 'Approved',
    });
    const { generated, given } = developmentSecrets(join(stateDir, STATE_FILES.secrets));
    // Sign-in through a local issuer unless one is configured; its client secret lives as long as the issuer.
    const localIssuer = !process.env.OIDC_ISSUER_URL;
    if (localIssuer)
      Object.assign(process.env, {
        OIDC_CLIENT_ID: LOCAL_OIDC_CLIENT.clientId,
        OIDC_CLIENT_SECRET: token(),
        OIDC_ROLES: process.env.OIDC_ROLES ?? LOCAL_OIDC_ROLES,
      });
    let fake: RunningStack['fake'];
    if (opts.fakeProviders) {
      fake = await startFakeProviders(print);
      const providers = fake.providers;
      stops.push(() => providers.close());
    }

    // Handlers are imported only now, after the environment they read at first use is in place.
    const [
      { handler: intake },
      { handler: dispatch },
      { handler: poll },
      { handler: notify },
      { handler: resync },
      { createWholeApp },
      { apiServices },
      { createLogger },
      { loadSecrets },
    ] = await Promise.all([
      import('../functions/intake'),
      import('../functions/dispatch'),
      import('../functions/poll'),
      import('../functions/notify'),
      import('../functions/resync'),
      import('../shared/http/app'),
      import('../shared/http/api-services'),
      import('../shared/lambda'),
      import('../shared/secrets'),
    ]);

    // The HTTP API and the pages: the Hono apps functions/webhook.ts and functions/ui.ts wrap for Lambda, on one real port.
    const app = createWholeApp({
      logger: createLogger('hwc-provisioner-webhook').app,
      secrets: () => loadSecrets(),
      services: apiServices,
    });
    const port = opts.port ?? Number(process.env.PORT ?? 3000);
    const server: ServerType = await new Promise((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, () => resolve(s));
      s.once('error', reject);
    });
    stops.push(() => new Promise((resolve) => server.close(() => resolve())));
    const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Links in statuses and comments point at this API unless told otherwise; read at the notifier's first event.
    process.env.PUBLIC_BASE_URL ||= apiUrl;
    let oidcIssuer: RunningStack['oidcIssuer'];
    if (localIssuer) {
      // Started once the API's address is known: the issuer accepts exactly its callback. Read at the first sign-in.
      const issuer = await startOidcIssuer({
        users: LOCAL_OIDC_USERS,
        clientId: process.env.OIDC_CLIENT_ID!,
        clientSecret: process.env.OIDC_CLIENT_SECRET!,
        redirectUris: [`${process.env.PUBLIC_BASE_URL.replace(/\/+$/, '')}/ui/callback`],
      });
      stops.push(() => issuer.close());
      process.env.OIDC_ISSUER_URL = issuer.url;
      oidcIssuer = { url: issuer.url, users: Object.keys(LOCAL_OIDC_USERS) };
    }

    const sqs = new SQSClient(localAwsConfig(sqsEndpoint));
    const runners: Runner[] = [
      startQueueRunner({
        sqs,
        queueUrl: resources.queues.intake.url,
        queueArn: resources.queues.intake.arn,
        handler: intake,
        functionName: 'intake',
        timeoutMs: 60_000,
      }),
      startQueueRunner({
        sqs,
        queueUrl: resources.queues.dispatch.url,
        queueArn: resources.queues.dispatch.arn,
        handler: dispatch,
        functionName: 'dispatch',
        timeoutMs: 60_000,
      }),
      startScheduleRunner({
        everyMs: Number(process.env.POLL_INTERVAL_SECONDS ?? 5) * 1000,
        handler: poll,
        functionName: 'poll',
        timeoutMs: 60_000,
      }),
      // Every minute (deployed: RESYNC_INTERVAL_MINUTES), so a push whose webhook was lost shows up soon.
      startScheduleRunner({
        everyMs: 60_000,
        handler: async (event, context) => {
          const result = await resync(event, context);
          for (const job of result.queued)
            print(
              `[resync] ${job.provider}:${job.repository}@${job.branch} ${job.before.slice(0, 7)}..${job.after.slice(0, 7)} ` +
                `(${job.commits} commit${job.commits === 1 ? '' : 's'}) queued as ${job.requestId}`,
            );
          return result;
        },
        functionName: 'resync',
        timeoutMs: 60_000,
      }),
      // Feedback goes only where it is configured (GITHUB_TOKEN, GITLAB_TOKEN, JIRA_*, WEBHOOK_SUBSCRIBERS);
      // with none set it reports nowhere.
      startQueueRunner({
        sqs,
        queueUrl: resources.queues.notify.url,
        queueArn: resources.queues.notify.arn,
        handler: notify,
        functionName: 'notify',
        timeoutMs: 60_000,
      }),
    ];
    stops.push(async () => {
      await Promise.all(runners.map((r) => r.stop()));
    });

    // The notifier's queue and a printer queue of its own both hear every event: the printer shows them here as subscribers see them.
    const sns = new SNSClient(localAwsConfig(sqsEndpoint));
    await subscribeQueue(sns, resources.topicArn, resources.queues.notify.arn);
    const printerQueue = await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-printer` }));
    const printerArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: printerQueue.QueueUrl!, AttributeNames: ['QueueArn'] })))
      .Attributes!.QueueArn!;
    await subscribeQueue(sns, resources.topicArn, printerArn);
    const approver = apiTokenOf(generated.API_TOKENS, 'approver');
    // Progress lines between an acceptance and its ending, read as `watch` reads them; none without a read-all token.
    const reader = progressToken((await loadSecrets()).API_TOKENS);
    const progress = reader ? createProgress({ apiUrl, token: reader, print }) : undefined;
    if (progress) stops.push(() => progress.stop());
    const printer = createEventPrinter({
      sqs,
      queueUrl: printerQueue.QueueUrl!,
      print,
      ...(progress ? { follow: (requestId: string) => progress.follow(requestId) } : {}),
      approvalHint: ({ requestId, ticket }) => [
        `approve: curl -sS -X POST ${apiUrl}/requests/${requestId}/approve ` +
          `-H 'authorization: Bearer ${approver ?? '<an approve-role token>'}'`,
        ...(ticket && opts.fakeProviders ? [`     or: npm run local:send -- jira-approve ${ticket}`] : []),
        `reject:  the same with /reject (and -H 'content-type: application/json' -d '{"comment":"why"}')`,
      ],
    });
    stops.push(() => printer.stop());

    if (fake) {
      const made = Object.fromEntries(WEBHOOK_SECRET_NAMES.filter((n) => generated[n]).map((n) => [n, generated[n]!]));
      const state: SendState = {
        pid: process.pid,
        apiUrl,
        fakeUrl: fake.providers.url,
        manifestGlobs: manifestGlobs(),
        github: { repository: DEMO_REPOSITORY },
        gitlab: { repository: DEMO_REPOSITORY, projectId: 42 },
        secrets: made,
      };
      writeSendState(stateDir, state);
      stops.push(async () => removeSendState(stateDir));
    }

    return {
      apiUrl,
      stateDir,
      prefix,
      tableName: resources.tableName,
      ...(simulatorUrl ? { simulatorUrl } : {}),
      realistic: opts.realistic === true && simulatorUrl !== undefined,
      sqsEndpoint,
      dynamodbEndpoint,
      generated,
      given,
      ...(fake ? { fake } : {}),
      ...(oidcIssuer ? { oidcIssuer } : {}),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const START_USAGE_LINE = 'usage: npm start -- [--reset] [--realistic] [--fake-providers] [--real] [--help]';

const seconds = (ms: number) => (ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`);
const REALISTIC = Object.entries(DURATION_PRESETS.realistic)
  .map(([kind, ms]) => `${kind} ${seconds(ms)}`)
  .join(', ');

export const START_HELP = `${START_USAGE_LINE}

  --reset           start from nothing: deletes the table, the simulator's resources and the made-up
                    secrets of the state directory (new token and webhook secrets are printed)
  --realistic       the simulator's realistic create durations, to watch long creates
                    (${REALISTIC});
                    spec.timeoutMinutes: 1 on a ResourcePool shows TimedOut
  --fake-providers  local fakes of GitHub, GitLab, Jira and a webhook subscriber; npm run local:send
                    sends them signed webhooks
  --real            call the real (billed) Huawei Cloud endpoints of HUAWEICLOUD_SDK_AK; no simulator
  --help            this help

State directory: LOCAL_STATE_DIR (default .local): DynamoDB Local's files, the simulator's resources
(simulator.json) and the secrets made up for API_TOKENS, GITHUB_WEBHOOK_SECRET, GITLAB_WEBHOOK_TOKEN,
JIRA_WEBHOOK_SECRET and UI_SIGNING_KEY when not set in the environment (secrets.json, mode 0600). A restart
keeps all three. Sign-in: a local OpenID Connect issuer (users alice and bob, OIDC_ROLES) unless OIDC_ISSUER_URL,
OIDC_CLIENT_ID and OIDC_CLIENT_SECRET name another.
Ports: PORT (HTTP API, default 3000), SIMULATOR_PORT (default: a free one). POLL_INTERVAL_SECONDS (default 5).`;

/** Bad `npm start` arguments: exit 2, with the usage line. */
export class StartUsageError extends Error {
  readonly code = 'START_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'StartUsageError';
  }
}

export interface StartArgs {
  help: boolean;
  reset: boolean;
  realistic: boolean;
  fakeProviders: boolean;
  real: boolean;
}

export function parseStartArgs(argv: string[]): StartArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        reset: { type: 'boolean', default: false },
        realistic: { type: 'boolean', default: false },
        'fake-providers': { type: 'boolean', default: false },
        real: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    // parseArgs explains itself at length; its first sentence names the option.
    throw new StartUsageError((error as Error).message.split('. ')[0]!.replace(/\.$/, ''));
  }
  if (values.real && values.realistic)
    throw new StartUsageError("--realistic sets the simulator's durations, and --real runs without the simulator");
  return {
    help: values.help,
    reset: values.reset,
    realistic: values.realistic,
    fakeProviders: values['fake-providers'],
    real: values.real,
  };
}

const LOCAL_POLICY_FILE = 'local/policy.yaml';

/** The token of one caller of a generated API_TOKENS (`name:roles=token,...`). */
function apiTokenOf(tokens: string | undefined, caller: string): string | undefined {
  const entry = tokens?.split(',').find((e) => e.split(/[:=]/)[0] === caller);
  return entry?.slice(entry.indexOf('=') + 1);
}

/** The roles OIDC_ROLES gives a user, as the banner shows them. */
function roleOf(roles: string | undefined, user: string): string {
  const entry = roles?.split(',').find((e) => e.trim().startsWith(`${user}=`));
  return entry
    ? entry
        .slice(entry.indexOf('=') + 1)
        .split('+')
        .join(', ')
    : 'no roles';
}

/** What `npm start` prints once everything runs: where things are, how to try it, what the CLI needs. */
export function banner(stack: RunningStack, env: Record<string, string | undefined> = process.env): string[] {
  const { apiUrl, simulatorUrl, sqsEndpoint, dynamodbEndpoint, generated, given, fake, stateDir, oidcIssuer } = stack;
  const lines: string[] = [];
  const say = (line = '') => lines.push(line);
  const simulatorFile = join(stateDir, STATE_FILES.simulator);
  say('hwc-provisioner is running locally');
  say(`  HTTP API        ${apiUrl}  (GET /healthz, POST /requests, GET /requests/{id}, POST /webhooks/{github,gitlab,jira})`);
  if (simulatorUrl) {
    say(`  Huawei Cloud    ${simulatorUrl} (simulator; resources kept in ${simulatorFile}; admin API under /__sim/)`);
    say(
      stack.realistic
        ? `                  REALISTIC durations: ${REALISTIC}; spec.timeoutMinutes: 1 on a ResourcePool shows TimedOut`
        : '                  fast durations (under a second); npm start -- --realistic for real ones',
    );
  } else {
    say('  Huawei Cloud    REAL endpoints (--real)');
  }
  say(
    oidcIssuer
      ? `  sign-in         ${apiUrl}/ui/login (local OpenID Connect issuer ${oidcIssuer.url}: ` +
          `${oidcIssuer.users.map((u) => `${u} (${roleOf(env.OIDC_ROLES, u)})`).join(', ')}; no password)`
      : `  sign-in         ${apiUrl}/ui/login (OpenID Connect issuer ${env.OIDC_ISSUER_URL ?? 'not configured'})`,
  );
  say(`  SQS and SNS     ${sqsEndpoint} (fauxqs, in memory)`);
  say(
    `  DynamoDB        ${dynamodbEndpoint} (DynamoDB Local, file-backed in ` +
      `${join(stateDir, STATE_FILES.dynamodb)}; it listens on all interfaces, it has no bind option)`,
  );
  say(`  poller          every ${env.POLL_INTERVAL_SECONDS ?? 5} s`);
  say(
    `  policy          ${env.POLICY_FILE ?? LOCAL_POLICY_FILE}` +
      (env.POLICY_FILE === LOCAL_POLICY_FILE || !env.POLICY_FILE
        ? ' (everything allowed; GPU pools filed in Jira tickets wait for an approver)'
        : ''),
  );
  if (fake) {
    const url = fake.providers.url;
    say(
      `  feedback        FAKE providers at ${url}: GitHub ${url}/github, ` +
        `GitLab ${url}/gitlab, Jira ${url}/jira, subscriber ${url}/hooks/local`,
    );
    say(
      `                  repositories ${DEMO_REPOSITORY} on GitHub and on ` +
        'GitLab (project 42), seeded with examples/; admin API under /__fake/',
    );
    if (fake.replaced.length > 0) say(`                  (replacing ${fake.replaced.join(', ')} from your environment for this run)`);
  } else {
    say(
      `  feedback        ${
        feedbackTargets().join(', ') ||
        'none configured (set GITHUB_TOKEN, GITLAB_TOKEN, JIRA_BASE_URL+JIRA_EMAIL+JIRA_API_TOKEN or WEBHOOK_SUBSCRIBERS, ' +
          'or run `npm start -- --fake-providers`)'
      }`,
    );
  }
  if (Object.keys(generated).length > 0) {
    say('');
    say(
      `Made up for this state directory, kept in ${join(stateDir, STATE_FILES.secrets)} ` +
        '(mode 0600) across restarts; --reset replaces them:',
    );
    for (const [name, value] of Object.entries(generated)) say(`  ${name}=${value}`);
  }
  if (given.length > 0) {
    say('');
    say(`From your environment (not shown): ${given.join(', ')}`);
  }
  // A token that was given stays out of the terminal and its scrollback.
  const apiToken = apiTokenOf(generated.API_TOKENS, 'local') ?? '<a token of your API_TOKENS>';
  say('');
  say('Try it:');
  say(
    `  curl -sS -X POST ${apiUrl}/requests -H 'authorization: Bearer ${apiToken}' ` +
      "-H 'content-type: application/yaml' --data-binary @examples/all-kinds.yaml",
  );
  say(`  curl -sS ${apiUrl}/requests/<requestId> -H 'authorization: Bearer ${apiToken}'`);
  say('');
  say('The CLI against this stack (dead-letter queues, requests; the endpoints change at every start):');
  say(
    `  export STACK_PREFIX=${stack.prefix} AWS_ENDPOINT_URL_SQS=${sqsEndpoint} ` +
      `TABLE_NAME=${stack.tableName} AWS_ENDPOINT_URL_DYNAMODB=${dynamodbEndpoint}`,
  );
  say('  npx hwc-provisioner dlq list');
  say(`  export HWCP_API_URL=${apiUrl} HWCP_TOKEN=${apiToken}`);
  say('  npx hwc-provisioner submit examples/all-kinds.yaml --wait   # submits, then follows it as watch does');
  say('  npx hwc-provisioner watch <requestId>      # live progress; exit 0 when all succeed, 1 when one fails');
  say('  npx hwc-provisioner resources              # every managed resource, its conditions and drift');
  if (fake) {
    const prefix = stateDir === '.local' ? '' : `LOCAL_STATE_DIR=${stateDir} `;
    say('');
    say('Send signed provider webhooks to this stack (each makes its commit in the fake repository first):');
    say(`  ${prefix}npm run local:send -- github-push          # a commit adding two demo resources, then its push event`);
    say(`  ${prefix}npm run local:send -- github-pr            # a pull request: one plan comment, edited in place by --pr <n>`);
    say(`  ${prefix}npm run local:send -- gitlab-push          # the same on GitLab (gitlab-mr for a merge request)`);
    say(`  ${prefix}npm run local:send -- jira                 # a ticket whose description holds the manifests`);
    say(`  ${prefix}npm run local:send -- jira-approve OPS-n   # another user moves the ticket to Approved: approves what it holds`);
    say('  add manifest files to send your own, --fail to make the demo notebook fail in the simulator');
  }
  say('');
  say(
    `Events${fake ? ', what the fake providers receive' : ''} and each request's progress appear below as they happen. ` +
      'Ctrl-C stops everything.',
  );
  return lines;
}

export async function main(): Promise<void> {
  let args: StartArgs;
  try {
    args = parseStartArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof StartUsageError)) throw error;
    process.stderr.write(`npm start: ${error.message}\n${START_USAGE_LINE}; npm start -- --help lists them\n`);
    process.exit(2);
  }
  if (args.help) {
    say(START_HELP);
    return;
  }
  if (process.env.HUAWEICLOUD_SDK_AK && !args.real) {
    say('HUAWEICLOUD_SDK_AK is set: this would create real (billed) Huawei Cloud resources.');
    say('Unset it to use the simulator, or run `npm start -- --real` if that is what you want.');
    process.exit(2);
  }
  const starting = startStack({
    stateDir: process.env.LOCAL_STATE_DIR || '.local',
    fakeProviders: args.fakeProviders,
    reset: args.reset,
    realistic: args.realistic,
  });
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      say('\nstopping...');
      // A signal during start-up waits for it, so no emulator process is left behind.
      void starting
        .then(
          (s) => s.stop(),
          () => undefined,
        )
        .then(() => process.exit(0));
    });
  }

  let stack: RunningStack;
  try {
    stack = await starting;
  } catch (error) {
    say(`could not start: ${(error as Error).message}`);
    process.exit(1);
  }
  if (stopping) return;
  for (const line of banner(stack)) say(line);
}
