/** The one configuration module: every environment variable the product reads is declared and parsed here. */
import * as z from 'zod';
import { resolveEndpoint } from './huaweicloud/endpoints';
import { builtOnFirstUse } from './lazy';
import { GithubRepositorySchema, GitlabProjectPathSchema } from './providers/names';

/** A configuration variable is missing or malformed; `variable` names it so the operator can fix it. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`configuration: ${variable} ${detail}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Parses `env` with `schema` and throws a ConfigError naming the first bad variable.
 * Empty strings count as unset: deployment tools often write `VAR=` for "not configured".
 */
export function parseEnv<S extends z.ZodObject>(schema: S, env: Env = process.env): z.infer<S> {
  const cleaned: Env = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  // Each section is parsed once per container: zod's compiled fast path would cost more to build than it saves.
  const result = schema.safeParse(cleaned, { jitless: true });
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    const detail = cleaned[variable] === undefined ? 'is required but not set' : `is invalid: ${issue.message}`;
    throw new ConfigError(variable, detail);
  }
  return result.data;
}

/** Memoises a section so it is parsed once per container (cold start), not per invocation. */
export function section<T>(load: (env: Env) => T): { (env?: Env): T; reset(): void } {
  let cached: { env: Env; value: T } | undefined;
  const get = (env: Env = process.env): T => {
    if (!cached || cached.env !== env) cached = { env, value: load(env) };
    return cached.value;
  };
  get.reset = () => {
    cached = undefined;
  };
  return get;
}

const optionalUrl = z.url({ protocol: /^https?$/ }).optional();

/**
 * How long a value read from Secrets Manager is used before it is read again: a rotated secret reaches warm
 * containers within this. 0 reads it on every use (each read is a billed API call).
 */
const SecretsMaxAgeSeconds = z.coerce.number().int().min(0).max(86_400).default(300);

/** Huawei Cloud access: names follow Huawei's SDK convention so existing credentials files carry over. */
const HuaweiEnvSchema = z.object({
  HUAWEICLOUD_SDK_AK: z.string().min(1).optional(),
  HUAWEICLOUD_SDK_SK: z.string().min(1).optional(),
  HUAWEICLOUD_SDK_SECURITY_TOKEN: z.string().min(1).optional(),
  /** Deployed mode: name or ARN of a Secrets Manager secret holding {"ak","sk","securityToken"?}. */
  HUAWEICLOUD_CREDENTIALS_SECRET: z.string().min(1).optional(),
  SECRETS_MAX_AGE_SECONDS: SecretsMaxAgeSeconds,
  HUAWEICLOUD_SDK_PROJECT_ID: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a project id (letters, digits, -)')
    .optional(),
  HUAWEICLOUD_REGION: z
    .string()
    .regex(/^[a-z]{2,3}(-[a-z]+)+-\d+$/, 'must look like cn-north-4')
    .default('cn-north-4'),
  HUAWEICLOUD_MODELARTS_ENDPOINT: optionalUrl,
  HUAWEICLOUD_IEF_ENDPOINT: optionalUrl,
  /** Per-request timeouts of the Huawei client, in milliseconds. */
  HUAWEICLOUD_CONNECT_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
  HUAWEICLOUD_READ_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  /**
   * Per container: at most this many Huawei API requests per second (unset: unpaced). Set it to the account's
   * API rate limit divided by the containers that call at once (dispatch maximumConcurrency + the poller).
   */
  HUAWEICLOUD_MAX_REQUESTS_PER_SECOND: z.coerce.number().positive().optional(),
});

/** Where the Huawei client gets its AK/SK: straight from the environment, or from a Secrets Manager secret at run time. */
export type HuaweiCredentialSource =
  | { source: 'env'; ak: string; sk: string; securityToken?: string }
  | { source: 'secret'; secretId: string; maxAgeSeconds: number };

/** Resolved Huawei settings. Holds the SK in env mode, so never log this object. */
export interface HuaweiConfig {
  region: string;
  projectId: string;
  /**
   * The endpoints of `region` only (HUAWEICLOUD_*_ENDPOINT, or Huawei's public ones): a resource in another
   * region goes to that region's public endpoint (see HuaweiClientOptions.region).
   */
  modelartsEndpoint: string;
  iefEndpoint: string;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  maxRequestsPerSecond?: number;
  credentials: HuaweiCredentialSource;
}

/**
 * The schema checks each variable alone; these rules span variables. Explicit AK/SK win over the
 * secret so a developer can point a deployed-style config at other credentials without editing it.
 */
export function parseHuaweiEnv(env: Env = process.env): HuaweiConfig {
  const raw = parseEnv(HuaweiEnvSchema, env);
  let credentials: HuaweiCredentialSource;
  if (raw.HUAWEICLOUD_SDK_AK || raw.HUAWEICLOUD_SDK_SK) {
    if (!raw.HUAWEICLOUD_SDK_AK) throw new ConfigError('HUAWEICLOUD_SDK_AK', 'is required when HUAWEICLOUD_SDK_SK is set');
    if (!raw.HUAWEICLOUD_SDK_SK) throw new ConfigError('HUAWEICLOUD_SDK_SK', 'is required when HUAWEICLOUD_SDK_AK is set');
    credentials = {
      source: 'env',
      ak: raw.HUAWEICLOUD_SDK_AK,
      sk: raw.HUAWEICLOUD_SDK_SK,
      ...(raw.HUAWEICLOUD_SDK_SECURITY_TOKEN ? { securityToken: raw.HUAWEICLOUD_SDK_SECURITY_TOKEN } : {}),
    };
  } else if (raw.HUAWEICLOUD_CREDENTIALS_SECRET) {
    credentials = { source: 'secret', secretId: raw.HUAWEICLOUD_CREDENTIALS_SECRET, maxAgeSeconds: raw.SECRETS_MAX_AGE_SECONDS };
  } else if (raw.HUAWEICLOUD_SDK_SECURITY_TOKEN) {
    throw new ConfigError('HUAWEICLOUD_SDK_AK', 'is required when HUAWEICLOUD_SDK_SECURITY_TOKEN is set');
  } else {
    throw new ConfigError('HUAWEICLOUD_SDK_AK', 'is required (with HUAWEICLOUD_SDK_SK) unless HUAWEICLOUD_CREDENTIALS_SECRET is set');
  }
  if (!raw.HUAWEICLOUD_SDK_PROJECT_ID) {
    throw new ConfigError('HUAWEICLOUD_SDK_PROJECT_ID', 'is required but not set');
  }
  return {
    region: raw.HUAWEICLOUD_REGION,
    projectId: raw.HUAWEICLOUD_SDK_PROJECT_ID,
    modelartsEndpoint: resolveEndpoint('modelarts', raw.HUAWEICLOUD_REGION, raw.HUAWEICLOUD_MODELARTS_ENDPOINT),
    iefEndpoint: resolveEndpoint('ief', raw.HUAWEICLOUD_REGION, raw.HUAWEICLOUD_IEF_ENDPOINT),
    connectTimeoutMs: raw.HUAWEICLOUD_CONNECT_TIMEOUT_MS,
    readTimeoutMs: raw.HUAWEICLOUD_READ_TIMEOUT_MS,
    ...(raw.HUAWEICLOUD_MAX_REQUESTS_PER_SECOND ? { maxRequestsPerSecond: raw.HUAWEICLOUD_MAX_REQUESTS_PER_SECOND } : {}),
    credentials,
  };
}
export const huaweiConfig = section(parseHuaweiEnv);

const csv = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

/** Where state and work live: the table and queues, plus emulator endpoints when running locally. */
export const InfraEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  INTAKE_QUEUE_URL: z.url(),
  DISPATCH_QUEUE_URL: z.url(),
  EVENTS_TOPIC_ARN: z.string().startsWith('arn:').optional(),
  /** The notifier's own queue (subscribed to the events topic); only the local stack reads it. */
  NOTIFY_QUEUE_URL: z.url().optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** Explicit endpoints: fauxqs queue URLs use a *.localhost host the SDK cannot reach on its own. */
  AWS_ENDPOINT_URL_SQS: optionalUrl,
  AWS_ENDPOINT_URL_SNS: optionalUrl,
  AWS_ENDPOINT_URL_DYNAMODB: optionalUrl,
});

const AWS_KEYS = { AWS_REGION: true, AWS_ENDPOINT_URL_SQS: true, AWS_ENDPOINT_URL_SNS: true, AWS_ENDPOINT_URL_DYNAMODB: true } as const;
const AwsEnvSchema = InfraEnvSchema.pick(AWS_KEYS);

/** The SDK clients' region and endpoints (shared/aws.ts): the only infrastructure variables every function reads. */
export const awsConfig = section((env) => parseEnv(AwsEnvSchema, env));

/** Every infrastructure variable, for tools that run all the parts in one process (the soak's dispatcher). */
export const infraConfig = section((env) => parseEnv(InfraEnvSchema, env));

/** What recording a submission reads: POST /requests in the webhook and every job of the intake function. */
const SubmitEnvSchema = InfraEnvSchema.pick({ ...AWS_KEYS, TABLE_NAME: true, DISPATCH_QUEUE_URL: true, EVENTS_TOPIC_ARN: true });
export const submitConfig = section((env) => parseEnv(SubmitEnvSchema, env));

/** Where the webhook queues the jobs the intake function does. */
const intakeQueueEnvSchema = builtOnFirstUse(() => InfraEnvSchema.pick({ INTAKE_QUEUE_URL: true }));
export const intakeQueueConfig = section((env) => parseEnv(intakeQueueEnvSchema(), env));

/** The dispatcher and the poller: they re-queue dispatch messages and always publish events, so the topic is required. */
const executionInfraEnvSchema = builtOnFirstUse(() =>
  InfraEnvSchema.pick({ ...AWS_KEYS, TABLE_NAME: true, DISPATCH_QUEUE_URL: true }).extend({
    EVENTS_TOPIC_ARN: z.string().startsWith('arn:'),
  }),
);

/** The poller hands corrections of drift (driftPolicy: Correct) to intake, so they pass its policy and approvals. */
const CorrectionQueueEnvSchema = z.object({ INTAKE_QUEUE_URL: optionalUrl });
export const correctionQueueConfig = section((env) => parseEnv(CorrectionQueueEnvSchema, env));
export const executionInfraConfig = section((env) => parseEnv(executionInfraEnvSchema(), env));

/** The notifier: its table, and no queue (its own queue is the event source, not something it sends to). */
const tableEnvSchema = builtOnFirstUse(() => InfraEnvSchema.pick({ ...AWS_KEYS, TABLE_NAME: true }));
export const tableConfig = section((env) => parseEnv(tableEnvSchema(), env));

/** How intake turns pushes, tickets and calls into requests. */
export const IntakeEnvSchema = z.object({
  /** Branches whose pushes are provisioned; empty means each repository's default branch. */
  TRACKED_BRANCHES: csv.default([]),
  /**
   * Plan pull and merge requests whose head is in a fork too. Off by default: a plan reads the fork's files
   * with the bot's token and answers in the bot's name, and anyone can open a pull request from a fork.
   */
  PLAN_FORK_PULL_REQUESTS: z.stringbool().default(false),
  /** Which files of a repository are manifests. */
  MANIFEST_GLOBS: csv.default(['provisioning/**/*.{yaml,yml,json}']),
  GITHUB_API_URL: z.url().default('https://api.github.com'),
  GITLAB_API_URL: z.url().default('https://gitlab.com/api/v4'),
  /** Defaults for manifests that name no project or region of their own. */
  HUAWEICLOUD_SDK_PROJECT_ID: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a project id (letters, digits, -)')
    .optional(),
  HUAWEICLOUD_REGION: z.string().min(1).default('cn-north-4'),
  /**
   * Teams that own resources together: `team=namespace,namespace;team2=...`, a namespace being
   * `github:owner/repo`, `gitlab:group/project`, `jira:KEY`, `api:caller` or `queue:system`. A resource first
   * created from one of a team's namespaces may then be changed from any of them.
   */
  OWNER_GROUPS: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const groups = new Map<string, string>();
      const entries = value
        .split(';')
        .map((e) => e.trim())
        .filter(Boolean);
      for (const [i, entry] of entries.entries()) {
        const match = /^([a-z][a-z0-9_-]{0,31})=(.+)$/.exec(entry);
        const namespaces =
          match?.[2]
            ?.split(',')
            .map((n) => n.trim().toLowerCase())
            .filter(Boolean) ?? [];
        const bad = namespaces.find((n) => !/^(github|gitlab|jira|api|queue):[^\s,;=]+$/.test(n));
        if (!match || namespaces.length === 0 || bad !== undefined) {
          ctx.addIssue({
            code: 'custom',
            message:
              `entry ${i + 1} must be team=namespace[,namespace...] with a team name of lower-case letters, digits, _ or - and ` +
              'namespaces github:owner/repo, gitlab:group/project, jira:KEY, api:caller or queue:system',
          });
          return z.NEVER;
        }
        for (const namespace of namespaces) {
          const other = groups.get(namespace);
          if (other && other !== match[1]) {
            ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: ${namespace} is already in group ${other}` });
            return z.NEVER;
          }
          groups.set(namespace, match[1]!);
        }
      }
      return groups as ReadonlyMap<string, string>;
    }),
  /**
   * Whether a push that removes a manifest file deletes what it declared (when the manifest said
   * `metadata.deletionPolicy: Delete`) rather than orphan it: for every tracked repository and branch...
   */
  PRUNE: z.stringbool().default(false),
  /** ...or for these only: `owner/repo` or `owner/repo@branch`, globs allowed (`acme/*`). */
  PRUNE_REPOSITORIES: csv.default([]),
  /**
   * Who may provision what (docs/policy.md): a policy YAML file, or the name or ARN of a Secrets Manager secret
   * holding it (read again after SECRETS_MAX_AGE_SECONDS). Neither: every authenticated source may provision anything.
   */
  POLICY_FILE: z.string().min(1).optional(),
  POLICY_PARAMETER: z.string().min(1).optional(),
  /** How long a request a policy rule holds for approval waits for a decision before it ends Expired. */
  APPROVAL_TIMEOUT_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 90)
    .default(72),
  /** The Jira status whose transition (by someone other than the reporter) approves the ticket's pending request. */
  JIRA_APPROVAL_STATUS: z.string().trim().min(1).max(255).optional(),
  /**
   * For pushes that need approval: how many approving reviews the merged pull (merge) request must have for
   * the merge to count as the approval; 0, the merge into a tracked branch is the approval.
   */
  REQUIRE_PR_APPROVALS: z.coerce.number().int().min(0).max(20).default(0),
});
export const intakeConfig = section((env) => parseEnv(IntakeEnvSchema, env));

/** A branch the resync keeps in step even if it never sent a push: `branch` absent means the default branch. */
export interface ResyncTarget {
  provider: 'github' | 'gitlab';
  repository: string;
  branch?: string;
}

const RESYNC_ENTRY = /^(?:(github|gitlab):)?([^@\s]+)(?:@(\S{1,1024}))?$/;

/** `[github:|gitlab:]path[@branch]`, GitHub when no provider is named; a bad entry is named by its position. */
function parseResyncTargets(entries: readonly string[], ctx: z.RefinementCtx): ResyncTarget[] {
  const targets: ResyncTarget[] = [];
  for (const [i, entry] of entries.entries()) {
    const match = RESYNC_ENTRY.exec(entry);
    const provider = (match?.[1] ?? 'github') as ResyncTarget['provider'];
    const path = match?.[2] ?? '';
    const pathOk = (provider === 'github' ? GithubRepositorySchema : GitlabProjectPathSchema).safeParse(path).success;
    if (!match || !pathOk) {
      ctx.addIssue({
        code: 'custom',
        message:
          `entry ${i + 1} must be owner/repo or owner/repo@branch (gitlab:group/project[@branch] for GitLab), ` +
          `with a repository path as ${provider === 'github' ? 'GitHub' : 'GitLab'} spells them`,
      });
      return z.NEVER;
    }
    targets.push({ provider, repository: path, ...(match[3] ? { branch: match[3] } : {}) });
  }
  return targets;
}

/** The scheduled resync of tracked branches (shared/intake/resync.ts). */
const resyncEnvSchema = builtOnFirstUse(() =>
  z.object({
    /** Branches resynced besides every branch that ever sent a push. */
    RESYNC_REPOSITORIES: csv.transform((entries, ctx) => parseResyncTargets(entries, ctx)).default([]),
    /** The schedule's period (serverless.yml); a tick stops starting branches once it has taken this long. */
    RESYNC_INTERVAL_MINUTES: z.coerce.number().int().min(2).max(1440).default(10),
  }),
);
export const resyncConfig = section((env) => parseEnv(resyncEnvSchema(), env));

/** The notifier names the Jira approval status in the comment that says how to approve. */
const NotifyApprovalEnvSchema = IntakeEnvSchema.pick({ JIRA_APPROVAL_STATUS: true });
export const notifyApprovalConfig = section((env) => parseEnv(NotifyApprovalEnvSchema, env));

/** What a bearer token may do: `submit` manifests, `read-all` requests (a caller always reads its own). */
const API_ROLES = ['submit', 'read-all', 'approve'] as const;
export type ApiRole = (typeof API_ROLES)[number];

/** A configured bearer token. `caller` is what requests record as their source: never derived from the token. */
export interface ApiToken {
  caller: string;
  token: string;
  roles: readonly ApiRole[];
}

/** Long enough that a token is a random secret rather than a password (24 random bytes in base64). */
export const MIN_API_TOKEN_LENGTH = 32;
const CALLER_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
/** The name part holds no `=`, so the first `=` always ends it, whatever the token holds (base64 padding included). */
const TOKEN_ENTRY = /^([^=:]*)(?::([^=]*))?=(.*)$/s;

/**
 * `name=token` (roles: submit) or `name:submit+read-all=token`. Problems name the entry's position and never
 * its value: a malformed entry may be a token pasted in the wrong place.
 */
function parseApiTokenEntries(text: string, ctx: z.RefinementCtx): ApiToken[] {
  const entries = text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  const tokens: ApiToken[] = [];
  const fail = (position: number, problem: string) => {
    ctx.addIssue({ code: 'custom', message: `entry ${position} of ${entries.length} ${problem}` });
    return z.NEVER;
  };
  for (const [i, entry] of entries.entries()) {
    const position = i + 1;
    const match = TOKEN_ENTRY.exec(entry);
    if (!match) return fail(position, 'must be name=token or name:role+role=token (a caller name is required)');
    const [, caller = '', roleList, token = ''] = match;
    if (!CALLER_NAME.test(caller)) return fail(position, 'has a caller name that is not [a-z][a-z0-9_-]{0,31}');
    const roles = roleList === undefined ? ['submit'] : roleList.split('+');
    const unknown = roles.find((role) => !(API_ROLES as readonly string[]).includes(role));
    if (unknown !== undefined || roles.length === 0) return fail(position, `has an unknown role (roles: ${API_ROLES.join(', ')})`);
    if (token.length < MIN_API_TOKEN_LENGTH) return fail(position, `has a token shorter than ${MIN_API_TOKEN_LENGTH} characters`);
    if (/[\s,]/.test(token)) return fail(position, 'has a token with whitespace');
    if (tokens.some((t) => t.caller === caller)) return fail(position, 'repeats a caller name');
    tokens.push({ caller, token, roles: [...new Set(roles as ApiRole[])] });
  }
  return tokens;
}

/** Who a signed-in person's roles come from: their user name (`preferred_username`) or one of their groups. */
export interface OidcRoleRule {
  match: 'user' | 'group';
  name: string;
  roles: readonly ApiRole[];
}

/** `alice=read-all+approve,group:platform=read-all`; names hold no `,`, `=` or `+` and no spaces. */
function parseOidcRoles(text: string, ctx: z.RefinementCtx): OidcRoleRule[] {
  const entries = text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  const rules: OidcRoleRule[] = [];
  for (const [i, entry] of entries.entries()) {
    const match = /^(group:)?([^\s,=+]{1,255})=([a-z+-]+)$/.exec(entry);
    const roles = match?.[3]?.split('+') ?? [];
    const unknown = roles.find((role) => !(API_ROLES as readonly string[]).includes(role));
    if (!match || roles.length === 0 || unknown !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `entry ${i + 1} must be user=role+role or group:name=role+role (roles: ${API_ROLES.join(', ')})`,
      });
      return z.NEVER;
    }
    const rule: OidcRoleRule = { match: match[1] ? 'group' : 'user', name: match[2]!, roles: [...new Set(roles as ApiRole[])] };
    if (rules.some((r) => r.match === rule.match && r.name === rule.name)) {
      ctx.addIssue({ code: 'custom', message: `entry ${i + 1} repeats ${match[1] ?? ''}${rule.name}` });
      return z.NEVER;
    }
    rules.push(rule);
  }
  return rules;
}

/** How long a link in a status or comment opens its request's page. */
const LinkTtlDays = z.coerce.number().positive().max(366).default(30);

/**
 * Sign-in to the web pages with OpenID Connect (shared/http/oidc.ts, docs/ui.md): off unless OIDC_ISSUER_URL,
 * OIDC_CLIENT_ID, OIDC_CLIENT_SECRET and UI_SIGNING_KEY are all set.
 */
const uiEnvSchema = builtOnFirstUse(() =>
  z.object({
    /** The issuer; its discovery document is read from `<issuer>/.well-known/openid-configuration`. */
    OIDC_ISSUER_URL: optionalUrl,
    OIDC_CLIENT_ID: z.string().min(1).max(255).optional(),
    /** Scopes asked for, space-separated; `openid` is always asked for. */
    OIDC_SCOPES: z.string().trim().min(1).default('openid profile'),
    /** Roles of signed-in people, as API tokens have them: `alice=read-all+approve,group:platform=read-all`. */
    OIDC_ROLES: z
      .string()
      .transform((text, ctx) => parseOidcRoles(text, ctx))
      .default([]),
    /** Where people reach this service: the sign-in's redirect URI is `${PUBLIC_BASE_URL}/ui/callback`. */
    PUBLIC_BASE_URL: optionalUrl,
  }),
);
export const uiConfig = section((env) => parseEnv(uiEnvSchema(), env));

/** Where the secrets come from, and how long a value read from Secrets Manager is used (shared/secrets.ts). */
export const SecretSourceEnvSchema = z.object({
  /** Deployed: name or ARN of the Secrets Manager secret whose JSON holds SecretsEnvSchema's keys. Unset: they are variables. */
  SECRETS_ID: z.string().min(1).optional(),
  SECRETS_MAX_AGE_SECONDS: SecretsMaxAgeSeconds,
});
export const secretSourceConfig = section((env) => parseEnv(SecretSourceEnvSchema, env));

/**
 * Secrets: read from the environment locally; when deployed, `SECRETS_ID` names a Secrets Manager
 * secret whose JSON holds the same keys (see shared/secrets.ts). Never logged.
 */
export const SecretsEnvSchema = z.object({
  GITHUB_WEBHOOK_SECRET: z.string().min(1).optional(),
  GITLAB_WEBHOOK_TOKEN: z.string().min(1).optional(),
  JIRA_WEBHOOK_SECRET: z.string().min(1).optional(),
  /**
   * The webhook secrets being rotated out: accepted alongside the current ones while set, so deliveries signed
   * before the provider was switched to the new secret are not lost. Remove them when the overlap ends.
   */
  GITHUB_WEBHOOK_SECRET_PREVIOUS: z.string().min(1).optional(),
  GITLAB_WEBHOOK_TOKEN_PREVIOUS: z.string().min(1).optional(),
  JIRA_WEBHOOK_SECRET_PREVIOUS: z.string().min(1).optional(),
  /** Comma-separated bearer tokens, each `name=token` or `name:role+role=token` (see ApiTokenEntries). */
  API_TOKENS: z
    .string()
    .transform((text, ctx) => parseApiTokenEntries(text, ctx))
    .default([]),
  GITHUB_TOKEN: z.string().min(1).optional(),
  GITLAB_TOKEN: z.string().min(1).optional(),
  /**
   * Signs the web pages' links and sessions (docs/ui.md): each use gets its own key derived from it. Unset, links carry
   * no token and nobody can sign in. Changing it revokes every link and session issued under it.
   */
  UI_SIGNING_KEY: z.string().min(32, 'must be at least 32 characters (e.g. 32 random bytes in base64)').optional(),
  /** The client secret of OIDC_CLIENT_ID at the issuer. */
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  /** Atlassian API token of JIRA_EMAIL, for comments and transitions (basic auth). */
  JIRA_API_TOKEN: z.string().min(1).optional(),
  /**
   * Generic event subscribers as JSON: `[{"url":"https://...","secret":"whsec_...","types":["hwc-provisioner.request.completed"]}]`.
   * A secret, since it holds the signing keys: deployed, it lives in the SECRETS_ID secret with the others.
   */
  WEBHOOK_SUBSCRIBERS: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        // Never echo the text: it holds signing secrets.
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array of {url, secret}' });
        return z.NEVER;
      }
    })
    .pipe(z.array(z.lazy(() => webhookSubscriberSchema())).max(20))
    .optional(),
});
export type SecretsEnv = z.infer<typeof SecretsEnvSchema>;

/** Timing of dispatch and polling; the defaults suit Huawei's real creation times, tests and the local stack shrink them. */
const ExecutionEnvSchema = z.object({
  /** Multiplies every per-kind poll interval: 1 in production, small locally where the simulator is fast. */
  POLL_BACKOFF_SCALE: z.coerce.number().positive().max(10).default(1),
  /** A create intent younger than this belongs to an attempt that may still be running. */
  DISPATCH_LEASE_SECONDS: z.coerce.number().int().positive().default(90),
  /** How soon a resource waiting for a dependency or for another request is looked at again. */
  WAIT_RECHECK_SECONDS: z.coerce.number().positive().default(15),
  /** How long a queued resource may wait for its dispatch message before the poller re-queues it. */
  QUEUED_GRACE_SECONDS: z.coerce.number().positive().default(120),
  /** A poll tick stops starting work this long before its own deadline. */
  POLL_TICK_BUDGET_SECONDS: z.coerce.number().positive().default(45),
  POLL_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  /**
   * Receives after which the dispatcher ends a resource Failed (or leaves one whose create may exist to the poller)
   * instead of letting SQS dead-letter it; at most the dispatch queue's maxReceiveCount.
   */
  DISPATCH_MAX_RECEIVES: z.coerce.number().int().min(1).max(100).default(5),
  /**
   * How often each ready managed resource is looked at again for drift (changed, deleted or unhealthy outside
   * hwc-provisioner); looks are spread evenly over the interval.
   */
  DRIFT_INTERVAL_MINUTES: z.coerce
    .number()
    .positive()
    .max(7 * 24 * 60)
    .default(30),
});
export const executionConfig = section((env) => parseEnv(ExecutionEnvSchema, env));

export function queuedGraceSeconds(env?: Record<string, string | undefined>): number {
  return executionConfig(env).QUEUED_GRACE_SECONDS;
}

/** One generic subscriber: where events go, the key they are signed with, and optionally which types it wants. */
const webhookSubscriberSchema = builtOnFirstUse(() =>
  z.strictObject({
    url: z.url({ protocol: /^https?$/ }),
    /** A Standard Webhooks signing secret: `whsec_` and the base64 of 24 to 64 random bytes. */
    secret: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'must be whsec_ followed by base64')
      .refine((value) => {
        const bytes = Buffer.from(value.slice('whsec_'.length), 'base64').length;
        return bytes >= 24 && bytes <= 64;
      }, 'must encode 24 to 64 bytes'),
    types: z.array(z.string().startsWith('hwc-provisioner.')).min(1).optional(),
  }),
);
export type WebhookSubscriber = z.infer<ReturnType<typeof webhookSubscriberSchema>>;

/** How feedback reaches people: where links point, the providers' APIs, Jira, and delivery timing. */
const notifyEnvSchema = builtOnFirstUse(() =>
  z.object({
    /** Base of the links put in statuses and comments: `${PUBLIC_BASE_URL}/ui/requests/{id}?t=...`. No link when unset. */
    PUBLIC_BASE_URL: optionalUrl,
    LINK_TTL_DAYS: LinkTtlDays,
    GITHUB_API_URL: z.url().default('https://api.github.com'),
    GITLAB_API_URL: z.url().default('https://gitlab.com/api/v4'),
    /** e.g. https://example.atlassian.net; Jira feedback is off unless this, JIRA_EMAIL and JIRA_API_TOKEN are set. */
    JIRA_BASE_URL: optionalUrl,
    JIRA_EMAIL: z.email().optional(),
    /** Transition ids applied when a ticket's request ends (ids, not names: names differ per workflow and language). */
    JIRA_TRANSITION_ON_SUCCESS: z.string().regex(/^\d+$/, 'must be a transition id').optional(),
    JIRA_TRANSITION_ON_FAILURE: z.string().regex(/^\d+$/, 'must be a transition id').optional(),
    /** Attempts per call inside one invocation before the message goes back to SQS, and the first backoff step. */
    NOTIFY_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
    NOTIFY_RETRY_BASE_MS: z.coerce.number().int().min(0).max(60_000).default(500),
    NOTIFY_HTTP_TIMEOUT_MS: z.coerce.number().int().positive().max(30_000).default(5_000),
  }),
);
export const notifyConfig = section((env) => parseEnv(notifyEnvSchema(), env));

/** The Lambda functions, by their serverless.yml names. */
export const FUNCTION_NAMES = ['webhook', 'api', 'ui', 'intake', 'dispatch', 'poll', 'notify', 'resync'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export interface FunctionEnv {
  /** Every variable the function reads, and nothing else: serverless.yml gives each function exactly these. */
  schema: z.ZodObject;
  /** required: it calls Huawei Cloud. optional: it looks resources up only when credentials are configured. */
  huawei?: 'required' | 'optional';
  /** It reads SecretsEnvSchema's keys: in local mode (no SECRETS_ID) they are variables and are checked with the rest. */
  secrets?: boolean;
}

const merge = (...schemas: z.ZodObject[]) => z.object(Object.assign({}, ...schemas.map((schema) => schema.shape)));

/** The merged schema is built on first use: each function's cold start checks its own and needs no other. */
function functionEnv(build: () => z.ZodObject, options: Omit<FunctionEnv, 'schema'>): FunctionEnv {
  const schema = builtOnFirstUse(build);
  return {
    get schema() {
      return schema();
    },
    ...options,
  };
}
/** A submission sets when its resources come due for the poller. */
const SubmitTimingEnvSchema = ExecutionEnvSchema.pick({ QUEUED_GRACE_SECONDS: true, WAIT_RECHECK_SECONDS: true });
const ExecutionFunctionEnv = functionEnv(() => merge(executionInfraEnvSchema(), ExecutionEnvSchema, HuaweiEnvSchema), {
  huawei: 'required',
});

/** Huawei's schema comes last where it is merged: its rule for HUAWEICLOUD_REGION is the stricter one. */
export const FUNCTION_ENV: Record<FunctionName, FunctionEnv> = {
  // Queues what the providers deliver, a Jira approval included: it reads and writes nothing else.
  webhook: functionEnv(
    () =>
      merge(
        intakeQueueEnvSchema(),
        IntakeEnvSchema.pick({ TRACKED_BRANCHES: true, PLAN_FORK_PULL_REQUESTS: true, JIRA_APPROVAL_STATUS: true }),
        SecretSourceEnvSchema,
      ),
    { secrets: true },
  ),
  // Submits as intake does (policy included); dry runs look resources up as pull-request plans do.
  api: functionEnv(
    () =>
      merge(
        SubmitEnvSchema,
        IntakeEnvSchema.pick({
          OWNER_GROUPS: true,
          POLICY_FILE: true,
          POLICY_PARAMETER: true,
          HUAWEICLOUD_SDK_PROJECT_ID: true,
          HUAWEICLOUD_REGION: true,
          APPROVAL_TIMEOUT_HOURS: true,
        }),
        SubmitTimingEnvSchema,
        SecretSourceEnvSchema,
        HuaweiEnvSchema,
      ),
    { huawei: 'optional', secrets: true },
  ),
  // The pages, sign-in and the API's description: the table to read, the secrets (tokens, link and session keys).
  ui: functionEnv(() => merge(tableEnvSchema(), IntakeEnvSchema.pick({ OWNER_GROUPS: true }), uiEnvSchema(), SecretSourceEnvSchema), {
    secrets: true,
  }),
  // Plans read the notifier's provider settings to post their comment and status.
  intake: functionEnv(
    () =>
      merge(
        SubmitEnvSchema,
        IntakeEnvSchema.pick({
          MANIFEST_GLOBS: true,
          GITHUB_API_URL: true,
          GITLAB_API_URL: true,
          OWNER_GROUPS: true,
          PRUNE: true,
          PRUNE_REPOSITORIES: true,
          POLICY_FILE: true,
          POLICY_PARAMETER: true,
          APPROVAL_TIMEOUT_HOURS: true,
          REQUIRE_PR_APPROVALS: true,
          HUAWEICLOUD_SDK_PROJECT_ID: true,
          HUAWEICLOUD_REGION: true,
        }),
        SubmitTimingEnvSchema,
        notifyEnvSchema().pick({
          GITHUB_API_URL: true,
          GITLAB_API_URL: true,
          NOTIFY_ATTEMPTS: true,
          NOTIFY_RETRY_BASE_MS: true,
          NOTIFY_HTTP_TIMEOUT_MS: true,
        }),
        SecretSourceEnvSchema,
        HuaweiEnvSchema,
      ),
    { huawei: 'optional', secrets: true },
  ),
  dispatch: ExecutionFunctionEnv,
  poll: functionEnv(() => merge(executionInfraEnvSchema(), CorrectionQueueEnvSchema, ExecutionEnvSchema, HuaweiEnvSchema), {
    huawei: 'required',
  }),
  notify: functionEnv(() => merge(tableEnvSchema(), notifyEnvSchema(), NotifyApprovalEnvSchema, SecretSourceEnvSchema), { secrets: true }),
  // Reads branch heads with the provider tokens of the stage secret and queues push jobs as the webhook does.
  resync: functionEnv(
    () =>
      merge(
        InfraEnvSchema.pick({ ...AWS_KEYS, TABLE_NAME: true, INTAKE_QUEUE_URL: true }),
        IntakeEnvSchema.pick({ GITHUB_API_URL: true, GITLAB_API_URL: true }),
        resyncEnvSchema(),
        SecretSourceEnvSchema,
      ),
    { secrets: true },
  ),
};

/**
 * Checks a function's whole configuration, as its cold start does, and throws a ConfigError naming the first
 * bad variable. Deployed secrets are not read here (that is a network call): their content is checked at first use.
 */
export function parseFunctionEnv(name: FunctionName, env: Env = process.env): void {
  const spec = FUNCTION_ENV[name];
  parseEnv(spec.schema, env);
  if (spec.huawei === 'required') parseHuaweiEnv(env);
  if (spec.secrets && !parseEnv(SecretSourceEnvSchema, env).SECRETS_ID) parseEnv(SecretsEnvSchema, env);
}
