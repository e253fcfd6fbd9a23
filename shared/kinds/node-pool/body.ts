/**
 * NodePool: the body of ModelArts `POST /v2/{project_id}/pools/{pool_name}/nodepools` (CreateNodePool).
 * The English and Chinese reference pages differ in places; which one each rule follows is
 * recorded under "Interpretations" in docs/constraints/node-pool.md.
 */
import * as z from 'zod';
import { builtOnFirstUse } from '../../lazy';
import { integer, oneOf, strict, text } from '../../manifests/zod-helpers';
import {
  AUTO_RENEW_TEXT,
  BILLING_MODE_TEXT,
  codeOf,
  CONSOLE_URL_TEXT,
  digitString,
  ORDER_ID_TEXT,
  PERIOD_NUM_TEXT,
  requiredInteger,
  requiredOneOf,
  requiredText,
  requirePrepaidAnnotations,
} from '../resource-pool/body';

// ---------------------------------------------------------------------------------------------
// Kubernetes syntax: labels and taints end up on the pool's Kubernetes nodes, so a key or value
// Kubernetes would refuse fails the node creation long after Huawei accepted the request.
// ---------------------------------------------------------------------------------------------

const K8S_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const K8S_KEY_RULE =
  'must be a Kubernetes label key: 1-63 letters, digits, "-", "_" or ".", starting and ending ' +
  'with a letter or digit, optionally after a DNS-subdomain prefix and "/" (e.g. "example.com/gpu")';
const K8S_VALUE_RULE =
  'must be a Kubernetes label value: empty, or at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit';

export function isK8sKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && K8S_NAME.test(name);
}

export function isK8sValue(value: string): boolean {
  return value === '' || (value.length <= 63 && K8S_NAME.test(value));
}

// ---------------------------------------------------------------------------------------------
// Values that become path segments of the node pool API: a "." or ".." (or a "/") there would send
// the create or a look-up to another path, e.g. `POST /v2/{project_id}/nodepools`.
// ---------------------------------------------------------------------------------------------

/**
 * ModelArts documents a pool's metadata.name (its generated id) as a lower-case letter, then lower-case letters, digits and "-",
 * 36-63 in all.
 */
const POOL_ID = /^[a-z][a-z0-9-]{35,62}$/;

/** The pool_name path parameter: the target pool's id. */
export const PoolIdSchema = z.string({ error: 'must be a string' }).regex(POOL_ID, {
  error:
    "must be a resource pool id (the pool's metadata.name at Huawei): 36-63 " +
    'characters, a lower-case letter then lower-case letters, digits and "-"',
});

/**
 * The NodePool create body, built on first use: every function bundles every kind, and most of them never
 * validate a manifest, so building these schemas at module load only slowed their cold starts.
 */
export const nodePoolBodySchema = builtOnFirstUse(() => {
  const NOT_A_STRING = 'must be a string (quote numbers and booleans in YAML)';

  /** A Map<String,String> of the reference; friendlyError would call it "a record". */
  function stringMap() {
    return z.record(z.string(), z.string({ error: NOT_A_STRING }), {
      error: (issue) =>
        issue.code === 'invalid_type' && issue.input !== undefined ? 'must be a mapping of string keys to string values' : undefined,
    });
  }

  const LabelsSchema = stringMap().superRefine((labels, ctx) => {
    for (const [key, value] of Object.entries(labels)) {
      if (!isK8sKey(key)) ctx.addIssue({ code: 'custom', path: [key], message: `key ${JSON.stringify(key)} ${K8S_KEY_RULE}` });
      else if (!isK8sValue(value)) ctx.addIssue({ code: 'custom', path: [key], message: K8S_VALUE_RULE });
    }
  });

  /**
   * The reference gives no syntax for a node pool's name, but it is the nodepool_name path parameter of
   * the show and delete calls, and its examples ("nodepool-1", "nodePool-1") are Kubernetes-style names.
   */
  const NODE_POOL_NAME_RULE =
    'must be a node pool name: at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit';
  const isNodePoolName = (name: string) => name.length <= 63 && K8S_NAME.test(name);

  // ---------------------------------------------------------------------------------------------
  // The CreateNodePool body, one schema per object of the reference.
  // ---------------------------------------------------------------------------------------------

  const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
  const RESERVED_TAG_PREFIXES = ['CCE-', '__type_baremetal'] as const;

  const CreateNodePoolAnnotationsSchema = strict({
    // The English page lists only "0"; the Chinese page also lists "1" (yearly/monthly), which the
    // period and order rows of both pages presuppose.
    'os.modelarts/billing.mode': codeOf(['0', '1']).optional().describe(BILLING_MODE_TEXT),
    'os.modelarts/period.num': digitString('2', { positive: true }).optional().describe(PERIOD_NUM_TEXT),
    'os.modelarts/period.type': codeOf(['2', '3', '4'])
      .optional()
      .describe('Unit of the yearly/monthly subscription period: "2" month, "3" year, "4" hour. Required when billing.mode is "1".'),
    'os.modelarts/auto.renew': codeOf(['0', '1']).optional().describe(AUTO_RENEW_TEXT),
    'os.modelarts/promotion.info': text().optional().describe('Discount selected on the operations platform.'),
    'os.modelarts/service.console.url': text().optional().describe(CONSOLE_URL_TEXT),
    'os.modelarts/order.id': text({ min: 1 }).optional().describe(ORDER_ID_TEXT),
  }).superRefine(requirePrepaidAnnotations);

  const CreateNodePoolMetaVOSchema = strict({
    // An empty name is reported once, by requiredText.
    name: requiredText()
      .refine((name) => name === '' || isNodePoolName(name), { error: NODE_POOL_NAME_RULE })
      .describe(
        'Name of the node pool, by which it is also looked up: at most 63 letters, ' +
          'digits, "-", "_" or ".", starting and ending with a letter or digit.',
      ),
    annotations: CreateNodePoolAnnotationsSchema.optional().describe('Annotations of the node pool: its billing.'),
  });

  const PoolNodeAzSchema = strict({
    az: requiredText().describe('Name of the availability zone.'),
    count: requiredInteger(0).describe('Number of nodes in this availability zone, when scaling out in chosen zones.'),
  });

  const TaintSchema = strict({
    key: requiredText().refine(isK8sKey, { error: K8S_KEY_RULE }).describe('Key of the taint, a Kubernetes label key.'),
    value: z
      .string({ error: NOT_A_STRING })
      .refine(isK8sValue, { error: K8S_VALUE_RULE })
      .optional()
      .describe('Value of the taint, a Kubernetes label value.'),
    effect: requiredOneOf(TAINT_EFFECTS).describe('Effect of the taint: NoSchedule, PreferNoSchedule or NoExecute.'),
  });

  const UserTagSchema = strict({
    key: requiredText()
      .refine((key) => !RESERVED_TAG_PREFIXES.some((prefix) => key.startsWith(prefix)), {
        error: 'must not start with "CCE-" or "__type_baremetal"',
      })
      .describe('Key of the tag; must not start with CCE- or __type_baremetal.'),
    value: z.string({ error: (issue) => (issue.input === undefined ? 'is required' : NOT_A_STRING) }).describe('Value of the tag.'),
  });

  const NodeNetworkSchema = strict({
    vpc: text({ min: 1 }).optional().describe('ID of the VPC.'),
    subnet: text({ min: 1 }).optional().describe('ID of the subnet.'),
    securityGroups: z
      .array(text({ min: 1 }))
      .optional()
      .describe('IDs of the security groups.'),
  });

  /** A free-form string map; the one documented key, dockerBaseSize, is a size ("0" = unlimited). */
  const ExtendParamsSchema = stringMap().superRefine((params, ctx) => {
    const size = params.dockerBaseSize;
    if (size !== undefined && !/^[0-9]+$/.test(size)) {
      ctx.addIssue({
        code: 'custom',
        path: ['dockerBaseSize'],
        message: 'must be a whole number written as a string, e.g. "100" ("0" means no limit)',
      });
    }
  });

  const CreatingStepSchema = strict({
    step: integer(1).optional().describe('Step size of the batch creation (at least 1).'),
    type: oneOf(['rack']).optional().describe('Kind of batch creation: rack (a whole rack).'),
  });

  /** Only the English page documents os. */
  const OsSchema = strict({
    name: text().optional().describe('Name of the operating system.'),
    imageId: text().optional().describe('ID of the operating system image.'),
    imageType: oneOf(['private']).optional().describe('Type of the operating system image: private (a private image).'),
  });

  const NOT_IN_NON_PRIVILEGED_POOLS = 'Not allowed in a non-privileged pool.';

  const PoolResourceSchema = strict({
    flavor: requiredText().describe('Name of the resource flavor, e.g. modelarts.vm.gpu.t4u8.'),
    count: requiredInteger(1).describe('Guaranteed (minimum) number of nodes of the flavor, at least 1.'),
    maxCount: requiredInteger(0).describe('Elastic number of nodes of the flavor: at most count, and equal to it in a physical pool.'),
    azs: z.array(PoolNodeAzSchema).optional().describe('Availability zones the nodes are placed in.'),
    nodePool: text({ min: 1 }).optional().describe('Name of the node pool, e.g. nodePool-1.'),
    taints: z
      .array(TaintSchema)
      .optional()
      .describe(`Taints put on the created nodes to keep workloads off them (anti-affinity). ${NOT_IN_NON_PRIVILEGED_POOLS}`),
    labels: LabelsSchema.optional().describe('Kubernetes labels of the nodes, as key-value pairs.'),
    tags: z.array(UserTagSchema).optional().describe(`Resource tags. ${NOT_IN_NON_PRIVILEGED_POOLS}`),
    network: NodeNetworkSchema.optional().describe(`Network of the nodes. ${NOT_IN_NON_PRIVILEGED_POOLS}`),
    extendParams: ExtendParamsSchema.optional().describe(
      'Custom parameters, string keys to string values; e.g. dockerBaseSize, the container engine space of each node ("0" means no limit).',
    ),
    creatingStep: CreatingStepSchema.optional().describe('Batch creation settings.'),
    os: OsSchema.optional().describe('Operating system image of the nodes (documented only on the English reference page).'),
  }).superRefine((resource, ctx) => {
    // The elastic amount equals count in a physical pool; Huawei rejects maxCount above count.
    if (resource.maxCount > resource.count) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxCount'],
        message: `must not exceed count (${resource.count}); in a physical pool it equals count`,
      });
    }
  });

  const NodePoolSpecSchema = strict({
    // A single object, not a list, whatever its description says: the type column and the examples agree.
    resources: PoolResourceSchema.describe('Resources of the node pool: the flavor, how many nodes, and custom settings.'),
  });

  /** The CreateNodePool request body. */
  return strict({
    apiVersion: requiredOneOf(['v2']).describe('API version of the body: v2.'),
    kind: requiredOneOf(['NodePool']).describe('Object type: NodePool.'),
    metadata: CreateNodePoolMetaVOSchema.describe('Metadata of the node pool.'),
    // Optional in the reference's table; when given, resources is mandatory.
    spec: NodePoolSpecSchema.optional().describe('Specification of the node pool; when given, resources is required.'),
  });
});
export type NodePoolBody = z.infer<ReturnType<typeof nodePoolBodySchema>>;
