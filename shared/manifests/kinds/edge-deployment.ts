/**
 * The EdgeDeployment create body: IEF `POST /v3/{project_id}/edgemgr/deployments`.
 *
 * Object names follow the API reference's tables. The scraped (Chinese) reference lost its
 * "mandatory" column; which fields are required follows Huawei's own SDK model of the same
 * API, except where the page's text says otherwise. docs/constraints/edge-deployment.md lists
 * every rule and every judgement call.
 */
import * as z from 'zod';
import { OWNERSHIP_TAG_KEY } from '../ownership';
import { integer, oneOf, strict, text } from '../zod-helpers';

// Plain zod types let the parse-time error map word them ("is required", "must be a string, not an integer").
const str = () => z.string();
const bool = () => z.boolean();
const port = () => integer(1, 65535);

/** Deployment and container names share one rule. */
const DNS_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const dnsName = () =>
  text({ min: 1, max: 32 }).regex(DNS_NAME, {
    error: 'may contain only lower-case letters, digits and "-", and must start and end with a lower-case letter or digit',
  });

/** Total characters across all items, for args and command. */
function totalLength(max: number) {
  return z.array(str()).refine((items) => items.reduce((n, s) => n + s.length, 0) <= max, {
    error: `must total at most ${max} characters across all items`,
  });
}

// ---------------------------------------------------------------------------------------------
// Attributes (tags)

const TAG_CHARS = /^[A-Za-z0-9_-]*$/;
const TAG_CHARS_MESSAGE = 'may contain only letters, digits, "_" and "-"';

const AttributesSchema = strict({
  key: text({ min: 1, max: 128 }).regex(TAG_CHARS, { error: TAG_CHARS_MESSAGE }),
  value: text({ min: 1, max: 256 }).regex(TAG_CHARS, { error: TAG_CHARS_MESSAGE }),
});

// ---------------------------------------------------------------------------------------------
// PodConfigs

const PodConfigsSchema = strict({
  host_network: bool().optional(),
  host_pid: bool().optional(),
  migration: bool().optional(),
  restart_policy: oneOf(['Always', 'OnFailure', 'Never']),
  toleration_seconds: integer().optional(),
  dns_policy: oneOf(['Default', 'ClusterFirst', 'ClusterFirstWithHostNet']).optional(),
}).superRefine((configs, ctx) => {
  // Host networking allows Default/ClusterFirstWithHostNet; port mapping (the default) allows Default/ClusterFirst.
  const hostNetwork = configs.host_network === true;
  const allowed = hostNetwork ? ['Default', 'ClusterFirstWithHostNet'] : ['Default', 'ClusterFirst'];
  if (configs.dns_policy !== undefined && !allowed.includes(configs.dns_policy)) {
    ctx.addIssue({
      code: 'custom',
      path: ['dns_policy'],
      message: `must be ${allowed.join(' or ')} when host_network is ${hostNetwork}`,
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Affinity (nodeAffinity, podAffinity, podAntiAffinity) and their terms

const MatchExpressionSchema = strict({
  key: str().optional(),
  operator: oneOf(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']).optional(),
  values: z.array(str()).optional(),
}).superRefine((expr, ctx) => {
  const count = expr.values?.length ?? 0;
  if ((expr.operator === 'In' || expr.operator === 'NotIn') && count === 0) {
    ctx.addIssue({ code: 'custom', path: ['values'], message: `must not be empty when operator is ${expr.operator}` });
  }
  if ((expr.operator === 'Exists' || expr.operator === 'DoesNotExist') && count !== 0) {
    ctx.addIssue({ code: 'custom', path: ['values'], message: `must be empty when operator is ${expr.operator}` });
  }
  if (expr.operator === 'Gt' || expr.operator === 'Lt') {
    if (count !== 1) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: `must have exactly one element when operator is ${expr.operator}` });
    } else if (!/^[+-]?\d+$/.test(expr.values![0]!)) {
      ctx.addIssue({ code: 'custom', path: ['values', 0], message: `must be an integer when operator is ${expr.operator}` });
    }
  }
});

const weight = () => integer(1, 100);

/** Tables "preference" and "MatchExpressions" define the same shape: a list of expressions. */
const preferenceSchema = strict({ matchExpressions: z.array(MatchExpressionSchema).optional() });
const MatchExpressionsSchema = strict({ matchExpressions: z.array(MatchExpressionSchema).optional() });

const PreferredSchedulingTermSchema = strict({
  preference: preferenceSchema.optional(),
  weight: weight().optional(),
});

const RequiredDuringSchedulingSchema = strict({
  nodeSelectorTerms: z.array(MatchExpressionsSchema).optional(),
});

const nodeAffinitySchema = strict({
  preferredDuringSchedulingIgnoredDuringExecution: z.array(PreferredSchedulingTermSchema).optional(),
  requiredDuringSchedulingIgnoredDuringExecution: RequiredDuringSchedulingSchema.optional(),
});

/** Tables "LabelSelector" and "labelSelector" define the same object. */
const LabelSelectorSchema = strict({
  matchExpressions: z.array(MatchExpressionSchema).optional(),
  matchLabels: z.record(z.string(), str()).optional(),
});

/** Tables "podAffinityTerm" and "PodAffinityTerm" define the same object. */
const PodAffinityTermSchema = strict({
  labelSelector: LabelSelectorSchema.optional(),
  namespaces: z.array(str()).optional(),
  topologyKey: str().optional(),
});

const WeightPodAffinityTermsSchema = strict({
  podAffinityTerm: PodAffinityTermSchema.optional(),
  weight: weight().optional(),
});

const podAffinitySchema = strict({
  preferredDuringSchedulingIgnoredDuringExecution: z.array(WeightPodAffinityTermsSchema).optional(),
  requiredDuringSchedulingIgnoredDuringExecution: z.array(PodAffinityTermSchema).optional(),
});

const AffinitySchema = strict({
  nodeAffinity: nodeAffinitySchema.optional(),
  podAffinity: podAffinitySchema.optional(),
  podAntiAffinity: podAffinitySchema.optional(),
});

// ---------------------------------------------------------------------------------------------
// ContainerDef and its parts

/** cpu, memory, gpu and npu; an NPU may also be requested by chip type (D310, D310B). */
const RESOURCE_KEYS = ['cpu', 'memory', 'gpu', 'npu', 'D310', 'D310B'] as const;
const resourceMap = () =>
  z.partialRecord(oneOf(RESOURCE_KEYS), str(), {
    error: (issue) =>
      // An unlisted key is reported as unrecognized_keys at run time, which the typings do not list.
      issue.code === 'invalid_type' ? undefined : `resource keys must be one of: ${RESOURCE_KEYS.join(', ')}`,
  });

const DeploymentResourcesSchema = strict({
  limits: resourceMap().optional(),
  requests: resourceMap().optional(),
});

const SecretsSchema = strict({ name: str(), key: str() });
const ConfigsMapSchema = strict({ name: str(), key: str() });

const ValueFromSchema = strict({
  secret: SecretsSchema.optional(),
  configmap: ConfigsMapSchema.optional(),
}).superRefine((from, ctx) => {
  if ((from.secret === undefined) === (from.configmap === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['secret'], message: 'exactly one of secret or configmap must be set' });
  }
});

const EnvSchema = strict({
  name: text({ min: 1, max: 2048 }).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
    error: 'must start with a letter or "_" and contain only letters, digits and "_"',
  }),
  value: text({ max: 20480 }).optional(),
  value_from: ValueFromSchema.optional(),
  field_path: oneOf(['status.hostIP']).optional(),
}).superRefine((env, ctx) => {
  const set = [env.value, env.value_from, env.field_path].filter((v) => v !== undefined).length;
  if (set !== 1) {
    ctx.addIssue({ code: 'custom', path: ['value'], message: 'exactly one of value, value_from or field_path must be set' });
  }
});

const HostPortRangeSchema = strict({
  min_port: port(),
  max_port: port(),
}).superRefine((range, ctx) => {
  if (range.max_port <= range.min_port) {
    ctx.addIssue({ code: 'custom', path: ['max_port'], message: 'must be greater than min_port' });
  }
});

const HostContainerPortMappingSchema = strict({
  container_port: integer(),
  host_port: integer().optional(),
  host_ip: str()
    .refine((v) => z.ipv4().safeParse(v).success || z.ipv6().safeParse(v).success, { error: 'must be an IP address' })
    .optional(),
  host_port_range: HostPortRangeSchema.optional(),
}).superRefine((mapping, ctx) => {
  if ((mapping.host_port === undefined) === (mapping.host_port_range === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['host_port'], message: 'exactly one of host_port or host_port_range must be set' });
  }
});

const ExecSchema = strict({ command: text({ max: 10240 }) });

const HttpGetDetailSchema = strict({
  path: str().startsWith('/', { error: 'must start with "/"' }),
  port: port(),
  host: str().optional(),
  scheme: oneOf(['HTTP', 'HTTPS']).optional(),
});

const ProbeSchema = strict({
  exec: ExecSchema.optional(),
  http_get: HttpGetDetailSchema.optional(),
  initial_delay_seconds: integer(1, 3600).optional(),
  timeout_seconds: integer(1, 3600).optional(),
}).superRefine((probe, ctx) => {
  if ((probe.exec === undefined) === (probe.http_get === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['exec'], message: 'exactly one of exec or http_get must be set' });
  }
});

/** hostPath sources: "/" then "-", "_", ".", letters, digits and path separators. */
const HOST_PATH = /^\/[A-Za-z0-9_.\-/\\]*$/;

const VolumesSchema = strict({
  name: text({ min: 1, max: 63 }).regex(/^[a-z0-9]*$/, { error: 'may contain only lower-case letters and digits' }),
  type: oneOf(['configMap', 'secret', 'emptyDir', 'hostPath']),
  source: text({ min: 1 }),
  destination: str().startsWith('/', { error: 'must be an absolute path (starting with "/")' }),
  read_only: bool(),
  default_mode: integer().optional(),
}).superRefine((volume, ctx) => {
  if (volume.type === 'hostPath' && !HOST_PATH.test(volume.source)) {
    ctx.addIssue({
      code: 'custom',
      path: ['source'],
      message: 'must be a path for hostPath: "/" followed by letters, digits, "-", "_", "." and path separators',
    });
  }
  if (volume.type === 'emptyDir' && volume.source !== 'disk' && volume.source !== 'memory') {
    ctx.addIssue({ code: 'custom', path: ['source'], message: 'must be disk or memory for emptyDir' });
  }
  if ((volume.type === 'configMap' || volume.type === 'secret') && volume.read_only !== true) {
    ctx.addIssue({ code: 'custom', path: ['read_only'], message: `must be true for ${volume.type} volumes (they are read-only)` });
  }
});

const ContainerDefSchema = strict({
  name: dnsName(),
  image_url: text({ min: 1 }),
  args: totalLength(65536).optional(),
  command: totalLength(65536).optional(),
  resources: DeploymentResourcesSchema.optional(),
  envs: z.array(EnvSchema).optional(),
  ports: z.array(HostContainerPortMappingSchema).optional(),
  privileged: bool().optional(),
  run_as_user: integer(0, 65534).optional(),
  readiness_probe: ProbeSchema.optional(),
  liveness_probe: ProbeSchema.optional(),
  version: str().optional(),
  volumes: z.array(VolumesSchema).optional(),
  // An empty npu_type means D310.
  npu_type: oneOf(['D310', 'D310B', '']).optional(),
}).superRefine((container, ctx) => {
  const seen = new Map<string, number>();
  container.envs?.forEach((env, i) => {
    const first = seen.get(env.name);
    if (first === undefined) seen.set(env.name, i);
    else ctx.addIssue({ code: 'custom', path: ['envs', i, 'name'], message: `duplicates envs.${first}.name "${env.name}"; names must be unique` });
  });
});

// ---------------------------------------------------------------------------------------------
// PodRequest, Annotations, CreateAppsInDeploymentV3

const PodRequestSchema = strict({
  configs: PodConfigsSchema,
  affinity: AffinitySchema.optional(),
  init_containers: z.array(ContainerDefSchema).optional(),
  containers: z.array(ContainerDefSchema).min(1, { error: 'must have at least 1 container' }),
});

const AnnotationsSchema = strict({
  ring_controller: oneOf(['ascend-1980']).optional(),
  autonomy_edge_selector: text({ min: 1 }).optional(),
});

const CreateAppsInDeploymentV3Schema = strict({
  replicas: integer(),
  template: PodRequestSchema,
  annotations: AnnotationsSchema.optional(),
});

// ---------------------------------------------------------------------------------------------
// The request body

const DESCRIPTION_FORBIDDEN = /[\^~#$%&*<>()[\]{}'"\\]/;

export const EdgeDeploymentBodySchema = strict({
  name: dnsName(),
  description: text({ max: 255 })
    .refine((v) => !DESCRIPTION_FORBIDDEN.test(v), { error: 'must not contain any of ^ ~ # $ % & * < > ( ) [ ] { } \' " \\' })
    .optional(),
  source: oneOf(['iem', 'userdefined']).optional(),
  group_id: text({ min: 1 }).optional(),
  node_ids: z
    .array(text({ min: 1 }))
    .min(1, { error: 'must have exactly one node id (only one edge node is supported)' })
    .max(1, { error: 'must have exactly one node id (only one edge node is supported)' })
    .optional(),
  tags: z.array(AttributesSchema).optional(),
  deployment: CreateAppsInDeploymentV3Schema,
}).superRefine((body, ctx) => {
  if (body.group_id === undefined && body.node_ids === undefined) {
    ctx.addIssue({ code: 'custom', path: ['group_id'], message: 'either group_id or node_ids must be set' });
  } else if (body.group_id !== undefined && body.node_ids !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['node_ids'], message: 'cannot be set together with group_id; set either group_id or node_ids' });
  }

  body.tags?.forEach((tag, i) => {
    if (tag.key === OWNERSHIP_TAG_KEY) {
      ctx.addIssue({ code: 'custom', path: ['tags', i, 'key'], message: `"${OWNERSHIP_TAG_KEY}" is reserved: hwc-provisioner adds this tag itself` });
    }
  });

  const configs = body.deployment.template.configs;
  if (body.group_id !== undefined && configs.migration === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['deployment', 'template', 'configs', 'migration'],
      message: 'is required when deploying to a node group (group_id)',
    });
  }

  const selector = body.deployment.annotations?.autonomy_edge_selector;
  if (selector !== undefined && selector !== body.group_id) {
    ctx.addIssue({
      code: 'custom',
      path: ['deployment', 'annotations', 'autonomy_edge_selector'],
      message: 'must be the id of the node group the deployment is scheduled to (the value of group_id)',
    });
  }
});

export type EdgeDeploymentBody = z.infer<typeof EdgeDeploymentBodySchema>;

/**
 * The ief-instance-id header. Huawei's example is a UUID (db953bf7-9f6c-4e90-9963-0a4453df72ba); any id
 * of letters, digits and "-" is accepted, nothing else: fetch refuses CR, LF or NUL in a header, and a
 * value it refuses would leave the create unsent.
 */
export const IefInstanceIdSchema = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, { error: 'must be an IEF instance id: 1-64 letters, digits and "-", such as db953bf7-9f6c-4e90-9963-0a4453df72ba' });

/**
 * Paths of fields the reference reserves for IEF Platinum instances (template affinity, port
 * ranges). The body cannot see spec.iefInstanceId, so the envelope may use this to require it.
 */
export function platinumOnlyPaths(body: EdgeDeploymentBody): (string | number)[][] {
  const paths: (string | number)[][] = [];
  const template = body.deployment.template;
  if (template.affinity !== undefined) paths.push(['deployment', 'template', 'affinity']);
  for (const list of ['init_containers', 'containers'] as const) {
    template[list]?.forEach((container, i) =>
      container.ports?.forEach((mapping, j) => {
        if (mapping.host_port_range !== undefined) paths.push(['deployment', 'template', list, i, 'ports', j, 'host_port_range']);
      }),
    );
  }
  return paths;
}
