/**
 * The OpenAPI 3.1 description of the HTTP API, from the zod schemas the routes validate with (schemas.ts and the
 * webhook payload schemas), and the reference page rendered from it. Built on first request and kept: the
 * ui function loads this module only when /openapi.json or /api is asked for.
 */
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import * as z from 'zod';
import { githubPushSchema, gitlabPushSchema } from '../intake/push-events';
import { jiraIssueEventSchema } from '../intake/jira';
import { KINDS, manifestSchema } from '../kinds/registry';
import { GithubPullRequestSchema, GitlabMergeRequestSchema } from '../notify/plan-payloads';
import * as q from './queries';
import * as input from './inputs';
import * as s from './schemas';

type Method = 'get' | 'post' | 'delete';
type Security = 'bearerAuth' | 'githubSignature' | 'gitlabToken' | 'jiraSignature';
type JsonSchema = Record<string, unknown>;

interface ParamSpec {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  description?: string;
  schema: z.ZodType;
}

interface ResponseSpec {
  description: string;
  /** Several: any of them (e.g. a ping or an ignored event). */
  schema?: z.ZodType | z.ZodType[];
  /** For errors: the codes this route answers with at this status. */
  codes?: string[];
  contentType?: string;
  /** A 202's Location: where to follow the request. */
  location?: boolean;
}

/** One operation of the API, as the description lists it. Paths are in OpenAPI form (`{id}`, not `:id`). */
interface RouteSpec {
  method: Method;
  path: string;
  operationId: string;
  tag: 'Requests' | 'Resources' | 'Webhooks' | 'Service';
  summary: string;
  description?: string;
  security?: Security;
  parameters?: ParamSpec[];
  body?: { required: boolean; description: string; content: Record<string, z.ZodType | z.ZodType[]> };
  responses: Record<number, ResponseSpec>;
}

/** Schemas published under components/schemas, by name; everything else is inlined where it is used. */
const COMPONENTS: Record<string, z.ZodType> = {
  Error: s.ErrorBodySchema,
  Unavailable: s.UnavailableSchema,
  ManifestRejection: s.ManifestRejectionSchema,
  RejectedDocument: s.RejectedDocumentSchema,
  RequestId: s.RequestIdSchema,
  RequestState: s.RequestStateSchema,
  ResourceState: s.ResourceStateSchema,
  RequestSource: s.RequestSourceSchema,
  Conditions: s.ConditionsSchema,
  Drift: s.DriftSchema,
  ApprovalView: s.ApprovalViewSchema,
  Health: s.HealthSchema,
  Accepted: s.AcceptedSchema,
  Ignored: s.IgnoredSchema,
  Ping: s.PingSchema,
  PlanQueued: s.PlanQueuedSchema,
  JiraApproved: s.JiraApprovedSchema,
  SubmissionAccepted: s.SubmissionAcceptedSchema,
  RemovalAccepted: s.RemovalAcceptedSchema,
  DryRun: s.DryRunSchema,
  RequestView: s.RequestViewSchema,
  DecisionBody: input.DecisionBodySchema,
  DecisionOutcome: s.DecisionOutcomeSchema,
  GithubPush: githubPushSchema(),
  GithubPullRequest: GithubPullRequestSchema,
  GitlabPush: gitlabPushSchema(),
  GitlabMergeRequest: GitlabMergeRequestSchema,
  JiraIssueEvent: jiraIssueEventSchema(),
  Manifest: manifestSchema(),
  RequestSummaryView: s.RequestSummaryViewSchema,
  RequestList: s.RequestListViewSchema,
  ManagedResourceView: s.ManagedResourceViewSchema,
  ResourceList: s.ResourceListViewSchema,
  ResourceDetail: s.ResourceDetailViewSchema,
};

const param = (name: string, where: ParamSpec['in'], schema: z.ZodType, required: boolean, description?: string): ParamSpec => ({
  name,
  in: where,
  required,
  schema,
  ...((description ?? schema.description) ? { description: description ?? schema.description } : {}),
});

/**
 * One query parameter per field of a query schema; a field is required unless it accepts absence. Described by
 * `descriptions`, else by the field's own description.
 */
function queryParams(schema: z.ZodObject, descriptions: Record<string, string> = {}): ParamSpec[] {
  return Object.entries(schema.shape).map(([name, field]) =>
    param(name, 'query', field as z.ZodType, !(field as z.ZodType).safeParse(undefined).success, descriptions[name]),
  );
}

const PAGE = {
  limit: 'How many per page, 1-100 (25 when absent)',
  cursor: "The previous page's nextCursor; opaque",
};

const KindSchema = z.enum(KINDS);
const requestIdParam = param('id', 'path', s.RequestIdSchema, true);
const idempotencyKey = param('Idempotency-Key', 'header', s.IdempotencyKeySchema, false);
const HeaderText = z.string();

/** Answers every route can give: the configuration is checked before any route runs. */
const COMMON: Record<number, ResponseSpec> = {
  500: { description: 'An unexpected failure; nothing was processed', codes: ['INTERNAL'] },
  503: { description: 'The configuration is invalid or the secrets cannot be read', schema: s.UnavailableSchema },
};
const unauthorized = (what: string): ResponseSpec => ({ description: `Missing or invalid ${what}`, codes: ['UNAUTHORIZED'] });
const tooLarge = (limit: string): ResponseSpec => ({ description: `The body exceeds ${limit}`, codes: ['PAYLOAD_TOO_LARGE'] });
const notJson: ResponseSpec = { description: 'The body is not sent as application/json', codes: ['UNSUPPORTED_MEDIA_TYPE'] };

const ROUTES: RouteSpec[] = [
  {
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    tag: 'Service',
    summary: 'Whether the configuration is valid and the secrets can be read',
    responses: { 200: { description: 'Ready', schema: s.HealthSchema } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    tag: 'Service',
    summary: 'This description (OpenAPI 3.1)',
    responses: { 200: { description: 'The OpenAPI document', schema: z.looseObject({ openapi: z.string() }) } },
  },
  {
    method: 'get',
    path: '/api',
    operationId: 'apiReference',
    tag: 'Service',
    summary: 'The API reference, as a web page rendered from this description',
    responses: { 200: { description: 'An HTML page', schema: z.string(), contentType: 'text/html' } },
  },
  {
    method: 'post',
    path: '/webhooks/github',
    operationId: 'githubWebhook',
    tag: 'Webhooks',
    summary: 'GitHub push and pull_request events',
    description:
      'A push to a tracked branch becomes a request (its id derived from the push, so a redelivery is the same request); ' +
      'an opened, synchronized or reopened pull request against one queues a plan, answered on the pull request. ' +
      'Other events are answered 200 and ignored.',
    security: 'githubSignature',
    parameters: [
      param('X-GitHub-Event', 'header', HeaderText, true, 'push, pull_request or ping; others are ignored'),
      param('X-GitHub-Delivery', 'header', HeaderText, true, 'The delivery id'),
    ],
    body: {
      required: true,
      description: 'The event GitHub sends, by X-GitHub-Event (fields beyond those listed pass through)',
      content: { 'application/json': [githubPushSchema(), GithubPullRequestSchema] },
    },
    responses: {
      200: { description: 'A ping, or an event that changes nothing here', schema: [s.PingSchema, s.IgnoredSchema] },
      202: {
        description: 'A push queued as a request, or a pull request queued for a plan',
        schema: [s.AcceptedSchema, s.PlanQueuedSchema],

        location: true,
      },
      400: {
        description: 'A header is missing or the body cannot be read',
        codes: ['MISSING_HEADER', 'INVALID_ENCODING', 'INVALID_JSON', 'INVALID_PAYLOAD'],
      },
      401: unauthorized('X-Hub-Signature-256'),
      413: tooLarge('6 MiB, or its manifests exceed what one queued job holds'),
      415: notJson,
    },
  },
  {
    method: 'post',
    path: '/webhooks/gitlab',
    operationId: 'gitlabWebhook',
    tag: 'Webhooks',
    summary: 'GitLab Push Hook and Merge Request Hook events',
    description:
      'GitLab disables a hook that answers 4xx, so everything it sends with a valid token is answered 2xx: events and ' +
      'payloads that cannot be used are answered 200 with the reason.',
    security: 'gitlabToken',
    parameters: [
      param('X-Gitlab-Event', 'header', HeaderText, false, 'Push Hook or Merge Request Hook; others are ignored'),
      param('X-Gitlab-Event-UUID', 'header', HeaderText, false, 'The delivery id, when Idempotency-Key is absent'),
      param('Idempotency-Key', 'header', HeaderText, false, 'The delivery id GitLab sends on retries'),
    ],
    body: {
      required: true,
      description: 'The event GitLab sends, by X-Gitlab-Event (fields beyond those listed pass through)',
      content: { 'application/json': [gitlabPushSchema(), GitlabMergeRequestSchema] },
    },
    responses: {
      200: { description: 'An event that changes nothing here, with the reason', schema: s.IgnoredSchema },
      202: {
        description: 'A push queued as a request, or a merge request queued for a plan',
        schema: [s.AcceptedSchema, s.PlanQueuedSchema],

        location: true,
      },
      400: { description: 'A Merge Request Hook whose body cannot be read', codes: ['INVALID_ENCODING', 'INVALID_JSON'] },
      401: unauthorized('X-Gitlab-Token'),
      413: tooLarge('6 MiB, or its manifests exceed what one queued job holds'),
      415: { description: 'A Merge Request Hook not sent as application/json', codes: ['UNSUPPORTED_MEDIA_TYPE'] },
    },
  },
  {
    method: 'post',
    path: '/webhooks/jira',
    operationId: 'jiraWebhook',
    tag: 'Webhooks',
    summary: 'Jira issue created and updated events',
    description:
      "The yaml code blocks of the issue's description are the manifests; the request id follows their content. " +
      'A transition into the approval status (JIRA_APPROVAL_STATUS) approves the pending request, as its author.',
    security: 'jiraSignature',
    parameters: [param('X-Atlassian-Webhook-Identifier', 'header', HeaderText, false, 'The delivery id')],
    body: { required: true, description: 'The event Jira sends', content: { 'application/json': jiraIssueEventSchema() } },
    responses: {
      200: { description: 'An approval, or an event that changes nothing here', schema: [s.JiraApprovedSchema, s.IgnoredSchema] },
      202: { description: 'Queued as a request', schema: s.AcceptedSchema, location: true },
      400: { description: 'The body cannot be read', codes: ['INVALID_ENCODING', 'INVALID_JSON', 'INVALID_PAYLOAD'] },
      401: unauthorized('X-Hub-Signature'),
      413: tooLarge('6 MiB, or its manifests exceed what one queued job holds'),
      415: notJson,
    },
  },
  {
    method: 'post',
    path: '/requests',
    operationId: 'submitRequest',
    tag: 'Requests',
    summary: 'Submit manifests',
    description:
      'Needs the submit role. Every document is validated before anything is recorded: one invalid document rejects ' +
      'the whole request (422). A policy rule may hold the request for an approver (state PendingApproval).',
    security: 'bearerAuth',
    parameters: [...queryParams(s.SubmitQuerySchema), idempotencyKey],
    body: {
      required: true,
      description: 'One manifest or an array of them (JSON), or a YAML stream of one or more documents',
      content: {
        'application/json': [manifestSchema(), z.array(manifestSchema())],
        'application/yaml': z.string().describe('One or more YAML documents, separated by ---'),
        'application/x-yaml': z.string(),
        'text/yaml': z.string(),
      },
    },
    responses: {
      200: { description: 'A dry run: what submitting would do', schema: s.DryRunSchema },
      202: { description: 'Recorded; resources are queued (or held for approval)', schema: s.SubmissionAcceptedSchema, location: true },
      400: {
        description: 'A query parameter, header or the encoding is invalid',
        codes: ['INVALID_QUERY', 'INVALID_IDEMPOTENCY_KEY', 'INVALID_ENCODING'],
      },
      401: unauthorized('bearer token'),
      403: { description: 'The caller lacks the submit role, or no policy rule lets it provision', codes: ['FORBIDDEN', 'POLICY_DENIED'] },
      409: { description: 'This Idempotency-Key was used with a different body', codes: ['IDEMPOTENCY_KEY_REUSED'] },
      413: tooLarge('the manifest size limit'),
      415: { description: 'Not JSON or YAML', codes: ['UNSUPPORTED_MEDIA_TYPE'] },
      422: { description: 'No resource was queued: the body holds no manifest, or invalid ones', schema: s.ManifestRejectionSchema },
    },
  },
  {
    method: 'get',
    path: '/requests',
    operationId: 'listRequests',
    tag: 'Requests',
    summary: 'List requests, newest first',
    description:
      'Scoped as GET /requests/{id} is: the read-all role sees every request; otherwise the caller sees its own API requests, ' +
      'and with the approve role the requests that asked for an approval.',
    security: 'bearerAuth',
    parameters: queryParams(q.ListRequestsQuerySchema, {
      source: 'Only the requests from this source',
      state: 'Only the requests in this overall state',
      mine: "true: only the caller's own requests, whatever else it may see",
      ...PAGE,
    }),
    responses: {
      200: { description: 'One page; nextCursor, when present, asks for the next', schema: s.RequestListViewSchema },
      400: { description: 'A query parameter or the cursor is invalid', codes: ['INVALID_QUERY', 'INVALID_CURSOR'] },
      401: unauthorized('bearer token'),
    },
  },
  {
    method: 'get',
    path: '/requests/{id}',
    operationId: 'getRequest',
    tag: 'Requests',
    summary: 'A request and each of its resources',
    description:
      "The read-all role sees every request; others see their own, and approvers the requests that asked for an approval. Someone else's " +
      'request answers 404 as a missing one does.',
    security: 'bearerAuth',
    parameters: [requestIdParam],
    responses: {
      200: { description: 'The request', schema: s.RequestViewSchema },
      401: unauthorized('bearer token'),
      404: { description: 'No such request the caller may see', codes: ['REQUEST_NOT_FOUND'] },
    },
  },
  ...(['approve', 'reject'] as const).map(
    (action): RouteSpec => ({
      method: 'post',
      path: `/requests/{id}/${action}`,
      operationId: `${action}Request`,
      tag: 'Requests',
      summary: `${action === 'approve' ? 'Approve' : 'Reject'} a request a policy rule holds`,
      description: 'Needs the approve role; the requester cannot decide on its own request. Deciding again the same way is answered 200.',
      security: 'bearerAuth',
      parameters: [requestIdParam],
      body: {
        required: false,
        description: 'Optional: an empty body decides without a comment',
        content: { 'application/json': input.DecisionBodySchema },
      },
      responses: {
        200: { description: 'Decided', schema: s.DecisionOutcomeSchema },
        400: {
          description: 'The body is not a JSON object, or the comment is invalid',
          codes: ['INVALID_ENCODING', 'INVALID_JSON', 'INVALID_COMMENT'],
        },
        401: unauthorized('bearer token'),
        403: { description: 'The caller may not decide on this request', codes: ['FORBIDDEN', 'SELF_APPROVAL', 'NOT_AN_APPROVER'] },
        404: { description: 'No such request', codes: ['REQUEST_NOT_FOUND'] },
        409: { description: 'The request is not pending, or its approval expired', codes: ['NOT_PENDING', 'APPROVAL_EXPIRED'] },
        413: tooLarge('16 KiB'),
        415: notJson,
      },
    }),
  ),
  {
    method: 'get',
    path: '/resources',
    operationId: 'listResources',
    tag: 'Resources',
    summary: 'List managed resources, by kind then name',
    description: "The read-all role sees every managed resource; otherwise those owned by the caller's namespace.",
    security: 'bearerAuth',
    parameters: queryParams(q.ListResourcesQuerySchema, {
      kind: 'Only the resources of this kind',
      owner: "Only the resources of this namespace (github:org/repo, api:caller, group:team...); others than the caller's need read-all",
      ...PAGE,
    }),
    responses: {
      200: { description: 'One page; nextCursor, when present, asks for the next', schema: s.ResourceListViewSchema },
      400: {
        description: 'A query parameter, the kind or the cursor is invalid',
        codes: ['INVALID_QUERY', 'INVALID_CURSOR', 'UNKNOWN_KIND'],
      },
      401: unauthorized('bearer token'),
      403: { description: "Listing another owner's resources without the read-all role", codes: ['FORBIDDEN'] },
    },
  },
  {
    method: 'get',
    path: '/resources/{kind}/{name}',
    operationId: 'getResource',
    tag: 'Resources',
    summary: 'One managed resource, with the requests that took it on',
    security: 'bearerAuth',
    parameters: [
      param('kind', 'path', KindSchema, true),
      param('name', 'path', z.string(), true),
      ...queryParams(q.GetResourceQuerySchema),
    ],
    responses: {
      200: { description: 'The resource', schema: s.ResourceDetailViewSchema },
      400: {
        description: 'A query parameter is invalid, or no project is given or configured',
        codes: ['INVALID_QUERY', 'PROJECT_ID_REQUIRED'],
      },
      401: unauthorized('bearer token'),
      404: { description: 'No such kind, or no such resource the caller may see', codes: ['UNKNOWN_KIND', 'RESOURCE_NOT_FOUND'] },
    },
  },
  {
    method: 'delete',
    path: '/resources/{kind}/{name}',
    operationId: 'removeResource',
    tag: 'Resources',
    summary: 'Delete a managed resource, or stop managing it (deletionPolicy=Orphan)',
    description: 'Needs the submit role, and only the owning namespace may. Recorded as a request, followed as any other.',
    security: 'bearerAuth',
    parameters: [
      param('kind', 'path', KindSchema, true),
      param('name', 'path', z.string(), true),
      ...queryParams(input.DeleteQuerySchema),
      idempotencyKey,
    ],
    responses: {
      202: { description: 'Recorded as a request', schema: s.RemovalAcceptedSchema, location: true },
      400: {
        description: 'A query parameter or header is invalid',
        codes: ['PROJECT_ID_REQUIRED', ...Object.values(input.DELETE_QUERY_CODES), 'INVALID_IDEMPOTENCY_KEY'],
      },
      401: unauthorized('bearer token'),
      403: { description: 'Not the owner, or not allowed', codes: ['FORBIDDEN', 'POLICY_DENIED', 'OWNED_ELSEWHERE'] },
      404: { description: 'No such kind, or no such managed resource', codes: ['UNKNOWN_KIND', 'RESOURCE_NOT_FOUND'] },
      409: { description: 'Resources created in it must be deleted first', codes: ['HAS_DEPENDENTS', 'NOT_ACCEPTED'] },
    },
  },
];

const SECURITY_SCHEMES = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token (API_TOKENS in the stage secret); its roles (submit, approve, read-all) decide what it may do.',
  },
  githubSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Hub-Signature-256',
    description: 'sha256=<hex HMAC-SHA256 of the raw body with GITHUB_WEBHOOK_SECRET> (the previous secret is accepted while rotating).',
  },
  gitlabToken: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Gitlab-Token',
    description: "The hook's secret token, GITLAB_WEBHOOK_TOKEN (the previous one is accepted while rotating).",
  },
  jiraSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Hub-Signature',
    description: 'sha256=<hex HMAC-SHA256 of the raw body with JIRA_WEBHOOK_SECRET> (the previous secret is accepted while rotating).',
  },
} as const;

const DESCRIPTION =
  'Declarative provisioning of Huawei Cloud ModelArts and IEF resources: webhooks from GitHub, GitLab and Jira, and an API to ' +
  'submit manifests and follow requests. Every error answers {"error": {"code", "message", "details"?}} with a stable code. ' +
  'The web pages under /ui (and sign-in at /ui/login, /ui/callback, /ui/logout) are for people, not part of this API, and not listed.';

const toRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Converts every zod schema of the description in one pass, so that shared ones become $refs to components. */
class SchemaSet {
  private readonly registry = z.registry<{ id: string }>();
  private readonly ids = new Map<z.ZodType, string>();
  private readonly named = new Map<z.ZodType, string>();
  private converted: Record<string, JsonSchema> | undefined;

  constructor(components: Record<string, z.ZodType>) {
    for (const [name, schema] of Object.entries(components)) {
      this.named.set(schema, name);
      this.registry.add(schema, { id: name });
    }
  }

  /** A placeholder for `schema`, resolved by `resolve` once every schema is known. */
  use(schema: z.ZodType | z.ZodType[]): JsonSchema {
    if (Array.isArray(schema)) return { anyOf: schema.map((one) => this.use(one)) };
    const name = this.named.get(schema);
    if (name) return toRef(name);
    let id = this.ids.get(schema);
    if (!id) {
      id = `inline-${this.ids.size}`;
      this.ids.set(schema, id);
      // A copy: the schema may also sit inside a component, where it must stay inlined rather than become a $ref.
      this.registry.add(schema.clone(), { id });
    }
    return { $inline: id };
  }

  components(): Record<string, JsonSchema> {
    const all = this.convert();
    return Object.fromEntries([...this.named.values()].map((name) => [name, all[name]!]));
  }

  resolve<T>(value: T): T {
    const all = this.convert();
    const walk = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === 'object') {
        if ('$inline' in v) return all[(v as { $inline: string }).$inline];
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      }
      return v;
    };
    return walk(value) as T;
  }

  private convert(): Record<string, JsonSchema> {
    this.converted ??= Object.fromEntries(
      Object.entries(
        z.toJSONSchema(this.registry, {
          target: 'draft-2020-12',
          io: 'input',
          unrepresentable: 'any',
          uri: (id) => `#/components/schemas/${id}`,
          override: ({ jsonSchema }) => tidy(jsonSchema as JsonSchema),
        }).schemas,
      ).map(([id, { $schema: _schema, $id: _id, ...schema }]) => [id, schema as JsonSchema]),
    );
    return this.converted;
  }
}

/** Leaves out what only repeats the type: the ISO date-time regex beside format, and JavaScript's safe-integer bounds. */
function tidy(schema: JsonSchema): void {
  if (schema.format === 'date-time') delete schema.pattern;
  if (schema.minimum === Number.MIN_SAFE_INTEGER) delete schema.minimum;
  if (schema.maximum === Number.MAX_SAFE_INTEGER) delete schema.maximum;
}

function errorSchema(codes: string[]): JsonSchema {
  return {
    allOf: [toRef('Error'), { type: 'object', properties: { error: { type: 'object', properties: { code: { enum: codes } } } } }],
  };
}

function responseObject(set: SchemaSet, status: number, spec: ResponseSpec): JsonSchema {
  const codes = spec.codes ?? [];
  const description = codes.length ? `${spec.description}: ${codes.join(', ')}` : spec.description;
  const schema = spec.schema ? set.use(spec.schema) : status >= 400 ? errorSchema(codes) : undefined;
  return {
    description,
    ...(spec.location
      ? {
          headers: {
            Location: {
              description: 'Where to follow the request: /requests/{id} (not sent when a plan is queued)',
              schema: { type: 'string' },
            },
          },
        }
      : {}),
    ...(schema ? { content: { [spec.contentType ?? 'application/json']: { schema } } } : {}),
  };
}

function operationObject(set: SchemaSet, route: RouteSpec): JsonSchema {
  const responses = { ...route.responses, ...COMMON };
  return {
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    security: route.security ? [{ [route.security]: [] }] : [],
    ...(route.parameters?.length
      ? {
          parameters: route.parameters.map((p) => ({
            name: p.name,
            in: p.in,
            required: p.required,
            ...(p.description ? { description: p.description } : {}),
            schema: set.use(p.schema),
          })),
        }
      : {}),
    ...(route.body
      ? {
          requestBody: {
            required: route.body.required,
            description: route.body.description,
            content: Object.fromEntries(Object.entries(route.body.content).map(([type, schema]) => [type, { schema: set.use(schema) }])),
          },
        }
      : {}),
    responses: Object.fromEntries(Object.entries(responses).map(([status, spec]) => [status, responseObject(set, Number(status), spec)])),
  };
}

function build(): JsonSchema {
  const set = new SchemaSet(COMPONENTS);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) (paths[route.path] ??= {})[route.method] = operationObject(set, route);
  return set.resolve({
    openapi: '3.1.0',
    info: { title: 'hwc-provisioner', version: '1', description: DESCRIPTION },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: [
      { name: 'Requests', description: 'Submit manifests, follow and decide on requests' },
      { name: 'Resources', description: 'The managed resources' },
      { name: 'Webhooks', description: 'Called by GitHub, GitLab and Jira' },
      { name: 'Service', description: 'Health and this description' },
    ],
    paths,
    components: { schemas: set.components(), securitySchemes: SECURITY_SCHEMES },
  });
}

let document: JsonSchema | undefined;

/** The OpenAPI 3.1.0 document; built on first use. */
export function openApiDocument(): JsonSchema {
  document ??= build();
  return document;
}

let page: Promise<string> | undefined;

/** The API reference page, rendered once from the document. */
export function apiReferencePage(): Promise<string> {
  page ??= Promise.resolve(renderPage(openApiDocument() as unknown as Doc)).then(String);
  return page;
}

// The reference page

interface Doc {
  info: { title: string; description: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, { description: string; name?: string }> };
}

interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  security: Record<string, string[]>[];
  parameters?: { name: string; in: string; required: boolean; description?: string; schema: JsonSchema }[];
  requestBody?: { required: boolean; description: string; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: Record<string, { schema: JsonSchema }> }>;
}

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const literal = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
const refName = (ref: string) => ref.slice('#/components/schemas/'.length);

/** A schema in a few words: links for components, the shape for objects (as a table), constraints for scalars. */
function schemaHtml(schema: JsonSchema | undefined, depth = 0): Html {
  if (!schema || Object.keys(schema).length === 0) return html`<span class="type">any</span>`;
  if (typeof schema.$ref === 'string') {
    const name = refName(schema.$ref);
    return html`<a href="#schema-${name}">${name}</a>`;
  }
  // A refusal narrowed to its codes (errorSchema): the response's description already names them.
  const narrowed = schema.allOf as JsonSchema[] | undefined;
  if (narrowed?.[0]?.$ref === toRef('Error').$ref && narrowed.length === 2) return schemaHtml(narrowed[0], depth);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const parts = schema[key] as JsonSchema[] | undefined;
    if (parts) {
      const word = key === 'allOf' ? 'all of' : 'one of';
      return html`${word}: <ul>${parts.map((p) => html`<li>${schemaHtml(p, depth)}</li>`)}</ul>`;
    }
  }
  if (schema.enum) return html`one of ${(schema.enum as unknown[]).map((v, i) => html`${i ? ', ' : ''}<code>${literal(v)}</code>`)}`;
  if ('const' in schema) return html`<code>${literal(schema.const)}</code>`;
  if (schema.type === 'array') return html`array of ${schemaHtml(schema.items as JsonSchema, depth)}`;
  if (schema.type === 'object' && schema.properties) {
    if (depth > 4) return html`<span class="type">object</span>`;
    const required = new Set((schema.required as string[] | undefined) ?? []);
    const rows = Object.entries(schema.properties as Record<string, JsonSchema>).map(
      ([name, field]) =>
        html`<tr>
          <th scope="row"><code>${name}</code>${required.has(name) ? '' : html` <span class="optional">optional</span>`}</th>
          <td>${schemaHtml(field, depth + 1)}</td>
          <td>${field.description ?? ''}</td>
        </tr>`,
    );
    return html`<table class="fields">
      <thead><tr><th scope="col">Field</th><th scope="col">Type</th><th scope="col">Description</th></tr></thead>
      <tbody>${rows}</tbody>
    </table>`;
  }
  const types = Array.isArray(schema.type) ? schema.type.join(' or ') : String(schema.type ?? 'any');
  const limits = Object.entries(schema)
    .filter(([key]) => ['format', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'default'].includes(key))
    .map(([key, value]) => html` <span class="limit">${key}: <code>${literal(value)}</code></span>`);
  return html`<span class="type">${types}</span>${limits}`;
}

function contentHtml(content: Record<string, { schema: JsonSchema }> | undefined): Html {
  if (!content) return html``;
  return html`${Object.entries(content).map(
    ([type, { schema }]) => html`<div class="content"><span class="media">${type}</span> ${schemaHtml(schema)}</div>`,
  )}`;
}

function operationHtml(doc: Doc, method: string, path: string, op: Operation): Html {
  const security = op.security.flatMap((s) => Object.keys(s));
  return html`<section class="operation" id="op-${op.operationId}">
    <h3><span class="method method-${method}">${method.toUpperCase()}</span> <code>${path}</code></h3>
    <p class="summary">${op.summary}</p>
    ${op.description ? html`<p>${op.description}</p>` : ''}
    <p class="auth">
      ${
        security.length
          ? security.map(
              (name) => html`Authentication: <strong>${name}</strong> — ${doc.components.securitySchemes[name]?.description ?? ''}`,
            )
          : 'Public: no authentication.'
      }
    </p>
    ${
      op.parameters?.length
        ? html`<h4>Parameters</h4>
            <table class="params">
              <thead>
                <tr><th scope="col">Name</th><th scope="col">In</th><th scope="col">Type</th><th scope="col">Description</th></tr>
              </thead>
              <tbody>
                ${op.parameters.map(
                  (p) => html`<tr>
                    <th scope="row"><code>${p.name}</code>${p.required ? html` <span class="required">required</span>` : ''}</th>
                    <td>${p.in}</td>
                    <td>${schemaHtml(p.schema, 1)}</td>
                    <td>${p.description ?? ''}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`
        : ''
    }
    ${
      op.requestBody
        ? html`<h4>Request body${op.requestBody.required ? '' : ' (optional)'}</h4>
            <p>${op.requestBody.description}</p>
            ${contentHtml(op.requestBody.content)}`
        : ''
    }
    <h4>Responses</h4>
    <dl class="responses">
      ${Object.entries(op.responses).map(
        ([status, response]) => html`<dt><span class="status status-${status[0]}xx">${status}</span></dt>
          <dd>
            <p>${response.description}${response.headers ? html` <span class="header">Location header</span>` : ''}</p>
            ${contentHtml(response.content)}
          </dd>`,
      )}
    </dl>
  </section>`;
}

const STYLE = `
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1b1f24; background: #fff; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
code, .media { font-family: ui-monospace, monospace; font-size: 0.9em; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; }
th, td { text-align: left; vertical-align: top; padding: 0.25rem 0.5rem; border-bottom: 1px solid #d0d7de; }
.operation { border: 1px solid #d0d7de; border-radius: 6px; padding: 0 1rem 1rem; margin: 1rem 0; overflow-x: auto; }
.method { display: inline-block; min-width: 4.5em; text-align: center; border-radius: 4px; padding: 0 0.4em; color: #fff; }
.method-get { background: #0550ae; } .method-post { background: #116329; } .method-delete { background: #a40e26; }
.status { font-weight: bold; } .status-2xx { color: #116329; } .status-4xx { color: #953800; } .status-5xx { color: #a40e26; }
.optional, .required, .limit, .header { font-size: 0.85em; color: #57606a; }
dt { margin-top: 0.5rem; } dd { margin-left: 1.5rem; }
a:focus, a:hover { outline: 2px solid #0969da; }
`;

function renderPage(doc: Doc): Html {
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op })),
  );
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${doc.info.title} API reference</title>
<style>${raw(STYLE)}</style>
</head>
<body>
<main>
<h1>${doc.info.title} API reference</h1>
<p>${doc.info.description}</p>
<p>The machine-readable description: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<nav aria-label="Operations">
<h2>Operations</h2>
<ul>
${operations.map(
  ({ path, method, op }) => html`<li><a href="#op-${op.operationId}"><code>${method.toUpperCase()} ${path}</code></a> — ${op.summary}</li>`,
)}
</ul>
</nav>
<h2>Operations in detail</h2>
${operations.map(({ path, method, op }) => operationHtml(doc, method, path, op))}
<h2>Schemas</h2>
${Object.entries(doc.components.schemas).map(
  ([name, schema]) => html`<section class="schema" id="schema-${name}">
    <h3>${name}</h3>
    ${schema.description ? html`<p>${schema.description}</p>` : ''}
    ${schemaHtml(schema)}
  </section>`,
)}
</main>
</body>
</html>`;
}
