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
import { builtOnFirstUse } from '../../lazy';
import { integer, oneOf, strict, text } from '../../manifests/zod-helpers';

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

/**
 * The EdgeDeployment create body, built on first use: every function bundles every kind, and most of them never
 * validate a manifest, so building these schemas at module load only slowed their cold starts.
 */
export const edgeDeploymentBodySchema = builtOnFirstUse(() => {
  // ---------------------------------------------------------------------------------------------
  // Attributes (tags)

  const TAG_CHARS = /^[A-Za-z0-9_-]*$/;
  const TAG_CHARS_MESSAGE = 'may contain only letters, digits, "_" and "-"';

  const AttributesSchema = strict({
    key: text({ min: 1, max: 128 })
      .regex(TAG_CHARS, { error: TAG_CHARS_MESSAGE })
      .describe('Key of the attribute: 1-128 letters, digits, "_" and "-".'),
    value: text({ min: 1, max: 256 })
      .regex(TAG_CHARS, { error: TAG_CHARS_MESSAGE })
      .describe('Value of the attribute: 1-256 letters, digits, "_" and "-".'),
  });

  // ---------------------------------------------------------------------------------------------
  // PodConfigs

  const PodConfigsSchema = strict({
    host_network: bool().optional().describe("Whether the instances use the host's network; if not, ports are mapped. Default false."),
    host_pid: bool().optional().describe("Whether the instances share the host's PID namespace. Default false."),
    migration: bool()
      .optional()
      .describe(
        'Whether a failed instance is migrated to another node. Required when deploying to a node group (group_id); default false.',
      ),
    restart_policy: oneOf(['Always', 'OnFailure', 'Never']).describe('Restart policy of the instances: Always, OnFailure or Never.'),
    toleration_seconds: integer()
      .optional()
      .describe('How long a failed instance is tolerated before it is migrated; applies only when deploying to a node group.'),
    dns_policy: oneOf(['Default', 'ClusterFirst', 'ClusterFirstWithHostNet'])
      .optional()
      .describe(
        'DNS policy of the instances: Default (the default), ClusterFirst or ClusterFirstWithHostNet. With ' +
          'host_network only Default or ClusterFirstWithHostNet; without it only Default or ClusterFirst.',
      ),
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
    key: str().optional().describe('Label the expression tests.'),
    operator: oneOf(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'])
      .optional()
      .describe(
        'How the label is tested: In / NotIn (its value is / is not among values), Exists / DoesNotExist (the ' +
          'label is present / absent), Gt / Lt (its value is greater / less than the one given, compared as strings).',
      ),
    values: z
      .array(str())
      .optional()
      .describe('Label values: not empty for In and NotIn, empty for Exists and DoesNotExist, exactly one integer for Gt and Lt.'),
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

  const weight = () => integer(1, 100).describe('Weight of the rule, 1 to 100.');
  const matchExpressions = () => z.array(MatchExpressionSchema).optional().describe('Expressions a label must match.');

  /** Tables "preference" and "MatchExpressions" define the same shape: a list of expressions. */
  const preferenceSchema = strict({ matchExpressions: matchExpressions() });
  const MatchExpressionsSchema = strict({ matchExpressions: matchExpressions() });

  const PreferredSchedulingTermSchema = strict({
    preference: preferenceSchema.optional().describe('Node selector term that the weight applies to.'),
    weight: weight().optional(),
  });

  const RequiredDuringSchedulingSchema = strict({
    nodeSelectorTerms: z.array(MatchExpressionsSchema).optional().describe('Node selector terms.'),
  });

  /** Both kinds of rule leave pods already running on a node alone. */
  const PREFERRED_TEXT =
    'Soft rules: nodes that meet them are preferred, but others may still be chosen. Pods already running are not affected.';
  const REQUIRED_TEXT = 'Hard rules: only nodes that meet them are chosen. Pods already running are not affected.';

  const nodeAffinitySchema = strict({
    preferredDuringSchedulingIgnoredDuringExecution: z.array(PreferredSchedulingTermSchema).optional().describe(PREFERRED_TEXT),
    requiredDuringSchedulingIgnoredDuringExecution: RequiredDuringSchedulingSchema.optional().describe(REQUIRED_TEXT),
  });

  /** Tables "LabelSelector" and "labelSelector" define the same object. */
  const LabelSelectorSchema = strict({
    matchExpressions: matchExpressions(),
    matchLabels: z
      .record(z.string(), str())
      .optional()
      .describe('Labels to match as key: value pairs; each pair works like an In expression whose values list holds only that value.'),
  });

  /** Tables "podAffinityTerm" and "PodAffinityTerm" define the same object. */
  const PodAffinityTermSchema = strict({
    labelSelector: LabelSelectorSchema.optional().describe('Selects the pods by their labels.'),
    namespaces: z.array(str()).optional().describe('Namespaces of the pods.'),
    topologyKey: str()
      .optional()
      .describe('Topology label: the rule first narrows scheduling to nodes carrying this label, then applies labelSelector among them.'),
  });

  const WeightPodAffinityTermsSchema = strict({
    podAffinityTerm: PodAffinityTermSchema.optional().describe('Pod affinity term that the weight applies to.'),
    weight: weight().optional(),
  });

  const podAffinitySchema = strict({
    preferredDuringSchedulingIgnoredDuringExecution: z.array(WeightPodAffinityTermsSchema).optional().describe(PREFERRED_TEXT),
    requiredDuringSchedulingIgnoredDuringExecution: z.array(PodAffinityTermSchema).optional().describe(REQUIRED_TEXT),
  });

  const AffinitySchema = strict({
    nodeAffinity: nodeAffinitySchema.optional().describe('Node affinity rules.'),
    podAffinity: podAffinitySchema.optional().describe('Pod affinity rules: run near pods that match.'),
    podAntiAffinity: podAffinitySchema.optional().describe('Pod anti-affinity rules: keep away from pods that match.'),
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

  /** How a resource key reads; shared by limits and requests. */
  const RESOURCE_KEYS_TEXT =
    'Keys: cpu, memory, gpu, npu, or an NPU chip type (D310, D310B); npu means ' +
    'the chip named by npu_type (D310 when that is empty). Values are strings.';

  const DeploymentResourcesSchema = strict({
    limits: resourceMap().optional().describe(`Most the container may use. ${RESOURCE_KEYS_TEXT}`),
    requests: resourceMap().optional().describe(`Least the container needs. ${RESOURCE_KEYS_TEXT}`),
  });

  const SecretsSchema = strict({ name: str().describe('Name of the secret.'), key: str().describe('Key within the secret.') });
  const ConfigsMapSchema = strict({ name: str().describe('Name of the config map.'), key: str().describe('Key within the config map.') });

  const ValueFromSchema = strict({
    secret: SecretsSchema.optional().describe('Secret the value is read from; set either secret or configmap.'),
    configmap: ConfigsMapSchema.optional().describe('Config map the value is read from; set either secret or configmap.'),
  }).superRefine((from, ctx) => {
    if ((from.secret === undefined) === (from.configmap === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['secret'], message: 'exactly one of secret or configmap must be set' });
    }
  });

  const EnvSchema = strict({
    name: text({ min: 1, max: 2048 })
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
        error: 'must start with a letter or "_" and contain only letters, digits and "_"',
      })
      .describe('Name of the variable: a letter or "_", then letters, digits and "_"; at most 2,048 characters, unique in the container.'),
    value: text({ max: 20480 })
      .optional()
      .describe('Value of the variable, at most 20,480 characters. Set exactly one of value, value_from and field_path.'),
    value_from: ValueFromSchema.optional().describe('Takes the value from a secret or a config map.'),
    field_path: oneOf(['status.hostIP'])
      .optional()
      .describe("Takes the value from a field; only status.hostIP (the edge node's IP address)."),
  }).superRefine((env, ctx) => {
    const set = [env.value, env.value_from, env.field_path].filter((v) => v !== undefined).length;
    if (set !== 1) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'exactly one of value, value_from or field_path must be set' });
    }
  });

  const HostPortRangeSchema = strict({
    min_port: port().describe('Lowest host port of the range, 1-65535.'),
    max_port: port().describe('Highest host port of the range, 1-65535, greater than min_port.'),
  }).superRefine((range, ctx) => {
    if (range.max_port <= range.min_port) {
      ctx.addIssue({ code: 'custom', path: ['max_port'], message: 'must be greater than min_port' });
    }
  });

  const HostContainerPortMappingSchema = strict({
    container_port: integer().describe('Container port of the mapping.'),
    host_port: integer()
      .optional()
      .describe("Port of the host's network interface mapped to the container port; set either host_port or host_port_range."),
    host_ip: str()
      .refine((v) => z.ipv4().safeParse(v).success || z.ipv6().safeParse(v).success, { error: 'must be an IP address' })
      .optional()
      .describe("IP address of the host's network interface."),
    host_port_range: HostPortRangeSchema.optional().describe(
      'Range of host ports, one of which is assigned to each instance automatically; ' +
        'instead of host_port. IEF Platinum edition only (needs spec.iefInstanceId).',
    ),
  }).superRefine((mapping, ctx) => {
    if ((mapping.host_port === undefined) === (mapping.host_port_range === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['host_port'], message: 'exactly one of host_port or host_port_range must be set' });
    }
  });

  const ExecSchema = strict({ command: text({ max: 10240 }).describe('Command the probe runs, at most 10,240 characters.') });

  const HttpGetDetailSchema = strict({
    path: str()
      .startsWith('/', { error: 'must start with "/"' })
      .describe('Path requested, starting with "/"; the probe requests scheme://host:port followed by the path.'),
    port: port().describe('HTTP port probed, 1-65535.'),
    host: str().optional().describe("Host address requested; default the container's IP address."),
    scheme: oneOf(['HTTP', 'HTTPS']).optional().describe('Protocol: HTTP or HTTPS. Default HTTP.'),
  });

  const ProbeSchema = strict({
    exec: ExecSchema.optional().describe('Checks by running a command; set either exec or http_get.'),
    http_get: HttpGetDetailSchema.optional().describe('Checks by an HTTP GET request; set either exec or http_get.'),
    initial_delay_seconds: integer(1, 3600)
      .optional()
      .describe('Seconds after the workload starts before probing begins: 1-3600, default 10.'),
    timeout_seconds: integer(1, 3600).optional().describe('Seconds before a probe times out: 1-3600, default 1.'),
  }).superRefine((probe, ctx) => {
    if ((probe.exec === undefined) === (probe.http_get === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['exec'], message: 'exactly one of exec or http_get must be set' });
    }
  });

  /** hostPath sources: "/" then "-", "_", ".", letters, digits and path separators. */
  const HOST_PATH = /^\/[A-Za-z0-9_.\-/\\]*$/;

  const VolumesSchema = strict({
    name: text({ min: 1, max: 63 })
      .regex(/^[a-z0-9]*$/, { error: 'may contain only lower-case letters and digits' })
      .describe('Name of the volume: 1-63 lower-case letters and digits.'),
    type: oneOf(['configMap', 'secret', 'emptyDir', 'hostPath']).describe('Type of the volume: configMap, secret, emptyDir or hostPath.'),
    source: text({ min: 1 }).describe(
      'Source of the volume: for hostPath a path starting with "/" (letters, digits, "-", "_", "." and path ' +
        "separators), for secret the secret's name, for configMap the config map's name, for emptyDir disk or memory.",
    ),
    destination: str()
      .startsWith('/', { error: 'must be an absolute path (starting with "/")' })
      .describe('Absolute path the volume is mounted at in the container.'),
    read_only: bool().describe('Whether the volume is mounted read-only; configMap and secret volumes must be.'),
    default_mode: integer()
      .optional()
      .describe(
        'Permissions of the mounted files, for configMap and secret volumes only; default 0644. Decimal and octal values are accepted.',
      ),
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
    name: dnsName().describe('Name of the container: 1-32 lower-case letters, digits and "-", starting and ending with a letter or digit.'),
    image_url: text({ min: 1 }).describe('URL of the container image.'),
    args: totalLength(65536).optional().describe('Arguments the container starts with; at most 65,536 characters in all.'),
    command: totalLength(65536)
      .optional()
      .describe(
        'Command the container starts with; at most 65,536 characters in all. ' +
          'Several commands may be listed, though the IEF console shows only the first.',
      ),
    resources: DeploymentResourcesSchema.optional().describe('Resources the container is given.'),
    envs: z.array(EnvSchema).optional().describe('Environment variables of the container.'),
    ports: z.array(HostContainerPortMappingSchema).optional().describe('Port mappings between the container and the host.'),
    privileged: bool().optional().describe('Whether the container runs privileged. Default false.'),
    run_as_user: integer(0, 65534).optional().describe('User ID the container runs as, 0-65534.'),
    readiness_probe: ProbeSchema.optional().describe('Probe that tells when the container is ready.'),
    liveness_probe: ProbeSchema.optional().describe('Probe that tells whether the container is still alive.'),
    version: str().optional().describe('Version (tag) of the container image.'),
    volumes: z.array(VolumesSchema).optional().describe('Volumes mounted into the container.'),
    // An empty npu_type means D310.
    npu_type: oneOf(['D310', 'D310B', '']).optional().describe('NPU chip type: D310 or D310B; an empty value means D310.'),
  }).superRefine((container, ctx) => {
    const seen = new Map<string, number>();
    container.envs?.forEach((env, i) => {
      const first = seen.get(env.name);
      if (first === undefined) seen.set(env.name, i);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['envs', i, 'name'],
          message: `duplicates envs.${first}.name "${env.name}"; names must be unique`,
        });
    });
  });

  // ---------------------------------------------------------------------------------------------
  // PodRequest, Annotations, CreateAppsInDeploymentV3

  const PodRequestSchema = strict({
    configs: PodConfigsSchema.describe('Settings of the application instances.'),
    affinity: AffinitySchema.optional().describe(
      'Affinity rules of the application instances. IEF Platinum edition only (needs spec.iefInstanceId).',
    ),
    init_containers: z.array(ContainerDefSchema).optional().describe('Init containers of the application.'),
    containers: z
      .array(ContainerDefSchema)
      .min(1, { error: 'must have at least 1 container' })
      .describe('Containers of the application; at least one.'),
  });

  const AnnotationsSchema = strict({
    ring_controller: oneOf(['ascend-1980']).optional().describe('Generates a rank table file; the only value is ascend-1980.'),
    autonomy_edge_selector: text({ min: 1 })
      .optional()
      .describe('Turns on offline self-healing: the ID of the node group the deployment is scheduled to (the value of group_id).'),
  });

  const CreateAppsInDeploymentV3Schema = strict({
    replicas: integer().describe('Number of replicas.'),
    template: PodRequestSchema.describe('Template of the application instances: their settings and containers.'),
    annotations: AnnotationsSchema.optional().describe('Optional extensions of the deployment.'),
  });

  // ---------------------------------------------------------------------------------------------
  // The request body

  const DESCRIPTION_FORBIDDEN = /[\^~#$%&*<>()[\]{}'"\\]/;

  return strict({
    name: dnsName().describe(
      'Name of the deployment: 1-32 lower-case letters, digits and "-", starting and ending with a letter or digit.',
    ),
    description: text({ max: 255 })
      .refine((v) => !DESCRIPTION_FORBIDDEN.test(v), { error: 'must not contain any of ^ ~ # $ % & * < > ( ) [ ] { } \' " \\' })
      .optional()
      .describe('Description of the deployment: at most 255 characters, none of ^ ~ # $ % & * < > ( ) [ ] { } \' " \\.'),
    source: oneOf(['iem', 'userdefined'])
      .optional()
      .describe('Where the application comes from: iem (the edge marketplace) or userdefined (your own).'),
    group_id: text({ min: 1 }).optional().describe('ID of the node group to deploy to; set either group_id or node_ids.'),
    node_ids: z
      .array(text({ min: 1 }))
      .min(1, { error: 'must have exactly one node id (only one edge node is supported)' })
      .max(1, { error: 'must have exactly one node id (only one edge node is supported)' })
      .optional()
      .describe('ID of the edge node to deploy to: exactly one, as only one node is supported. Set either node_ids or group_id.'),
    tags: z
      .array(AttributesSchema)
      .optional()
      .describe(`Attributes (tags) of the deployment. The key ${OWNERSHIP_TAG_KEY} is reserved: hwc-provisioner adds it itself.`),
    deployment: CreateAppsInDeploymentV3Schema.describe('What is deployed and how: replicas, instance template and extensions.'),
  }).superRefine((body, ctx) => {
    if (body.group_id === undefined && body.node_ids === undefined) {
      ctx.addIssue({ code: 'custom', path: ['group_id'], message: 'either group_id or node_ids must be set' });
    } else if (body.group_id !== undefined && body.node_ids !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['node_ids'],
        message: 'cannot be set together with group_id; set either group_id or node_ids',
      });
    }

    body.tags?.forEach((tag, i) => {
      if (tag.key === OWNERSHIP_TAG_KEY) {
        ctx.addIssue({
          code: 'custom',
          path: ['tags', i, 'key'],
          message: `"${OWNERSHIP_TAG_KEY}" is reserved: hwc-provisioner adds this tag itself`,
        });
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
});

export type EdgeDeploymentBody = z.infer<ReturnType<typeof edgeDeploymentBodySchema>>;

/**
 * The ief-instance-id header. Huawei's example is a UUID (db953bf7-9f6c-4e90-9963-0a4453df72ba); any id
 * of letters, digits and "-" is accepted, nothing else: fetch refuses CR, LF or NUL in a header, and a
 * value it refuses would leave the create unsent.
 */
export const IefInstanceIdSchema = z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, {
  error: 'must be an IEF instance id: 1-64 letters, digits and "-", such as db953bf7-9f6c-4e90-9963-0a4453df72ba',
});

/**
 * Paths of fields the reference reserves for IEF Platinum instances (template affinity, port
 * ranges). The body cannot see spec.iefInstanceId, so the envelope may use this to require it.
 */
export function platinumOnlyPaths(body: EdgeDeploymentBody): (string | number)[][] {
  const paths: (string | number)[][] = [];
  const template = body.deployment.template;
  if (template.affinity !== undefined) paths.push(['deployment', 'template', 'affinity']);
  for (const list of ['init_containers', 'containers'] as const) {
    for (const [i, container] of (template[list] ?? []).entries()) {
      for (const [j, mapping] of (container.ports ?? []).entries()) {
        if (mapping.host_port_range !== undefined) paths.push(['deployment', 'template', list, i, 'ports', j, 'host_port_range']);
      }
    }
  }
  return paths;
}
