/**
 * The Notebook create body: ModelArts `POST /v1/{project_id}/notebooks`.
 *
 * Object names follow the API reference's tables. Where the scraped reference lost an enum
 * list ("Range:" left blank), the values come from Huawei's own SDK model of the same API;
 * docs/constraints/notebook.md lists every rule and every judgement call.
 */
import * as z from 'zod';
import { NOTEBOOK_DESCRIPTION_MAX, NOTEBOOK_MARKER_LENGTH } from '../ownership';
import { builtOnFirstUse } from '../../lazy';
import { anyCaseOf, integer, oneOf, strict, text } from '../../manifests/zod-helpers';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const uuid = () => z.string().regex(UUID, { error: 'must be a UUID, e.g. 280a8bd5-03e2-4a5c-bea1-83d81e75bc53' });

/** Auto-stop window in milliseconds, shared by `duration` and `lease.duration`. */
const duration = () => integer(3_600_000, 259_200_000);

/** Enum values compared case-insensitively in cross-field rules (the enums accept any case). */
const upper = (value: string | undefined) => value?.toUpperCase();

/**
 * The Notebook create body, built on first use: every function bundles every kind, and most of them never
 * validate a manifest, so building these schemas at module load only slowed their cold starts.
 */
export const notebookBodySchema = builtOnFirstUse(() => {
  // ---------------------------------------------------------------------------------------------
  // EndpointsReq

  const EndpointsReqSchema = strict({
    service: oneOf(['NOTEBOOK', 'SSH'])
      .optional()
      .describe('How the instance is reached: NOTEBOOK (the notebook over HTTPS) or SSH (a remote SSH connection).'),
    key_pair_names: z
      .array(z.string())
      .optional()
      .describe('Names of the SSH key pairs allowed to connect; key pairs are created and listed on the Key Pair page of the ECS console.'),
  });

  // ---------------------------------------------------------------------------------------------
  // NotebookCustomSpec

  /** cpu: at most 10 integer digits and 2 decimals; YAML numbers below 1e21 print without exponent. */
  const CPU_DIGITS = /^\d{1,10}(\.\d{1,2})?$/;
  const MEMORY_RULE = 'an integer of at most 10 digits, not smaller than 513';

  const NotebookCustomSpecSchema = strict({
    // Bounded like cpu: an unbounded float (1e200, 1e-200) is a valid manifest that DynamoDB cannot store.
    gpu: z
      .number()
      .min(0, { error: 'must be at least 0' })
      .refine((n) => CPU_DIGITS.test(String(n)), { error: 'must have at most 10 digits before the decimal point and at most 2 after it' })
      .optional()
      .describe('Number of GPUs for the instance. Required when category is GPU; not allowed when category is CPU.'),
    cpu: z
      .number()
      .min(0.4, { error: 'must be at least 0.4' })
      .refine((n) => CPU_DIGITS.test(String(n)), { error: 'must have at most 10 digits before the decimal point and at most 2 after it' })
      .describe('Number of CPU cores for the instance: at least 0.4, with at most 10 digits before the decimal point and 2 after it.'),
    memory: z
      .number()
      .refine((n) => Number.isInteger(n) && n >= 513 && n <= 9_999_999_999, { error: `must be ${MEMORY_RULE}` })
      .describe('Memory size of the instance: an integer of at most 10 digits, at least 513.'),
    gpu_type: z
      .string()
      .optional()
      .describe('GPU accelerator type of the instance. Required when category is GPU; not allowed when category is CPU.'),
    // The response example writes "x86_64" in lower case.
    arch: anyCaseOf(['X86_64', 'AARCH64'])
      .optional()
      .describe('CPU architecture: X86_64 (x86) or AARCH64 (ARM), in any letter case. Required for a custom specification.'),
    category: anyCaseOf(['CPU', 'GPU'])
      .optional()
      .describe('Kind of specification: CPU or GPU, in any letter case. Required for a custom specification.'),
    resource_flavor: z.string().optional().describe("Flavor of the dedicated pool's nodes that the instance should be placed on."),
  }).superRefine((spec, ctx) => {
    // The table marks arch and category optional, but mandatory for custom specs in CPU/GPU dedicated
    // pools, the only place custom_spec is supported; the reference's second example omits both.
    for (const field of ['arch', 'category'] as const) {
      if (spec[field] === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: 'is required: "mandatory for custom specifications in CPU/GPU dedicated pools"',
        });
      }
    }
    const category = upper(spec.category);
    for (const field of ['gpu', 'gpu_type'] as const) {
      if (category === 'CPU' && spec[field] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: 'must not be set when category is CPU (not available in CPU dedicated pools)',
        });
      }
      if (category === 'GPU' && spec[field] === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: 'is required when category is GPU (mandatory in GPU dedicated pools)' });
      }
    }
  });

  // ---------------------------------------------------------------------------------------------
  // VolumeMountRequest (used by `volume` and each `data_volumes` item)

  const VolumeMountRequestSchema = strict({
    // The reference's examples write "evs" and "managed" in lower case.
    category: anyCaseOf(['EVS', 'EFS', 'OBS', 'OBSFS']).describe(
      'Storage type: EVS, EFS, OBS or OBSFS (an OBS parallel file system), in any letter case.',
    ),
    ownership: anyCaseOf(['MANAGED', 'DEDICATED']).describe('Who owns the storage: MANAGED or DEDICATED, in any letter case.'),
    uri: text({ max: 1024 })
      .optional()
      .describe(
        'URI of the dedicated EFS disk, or path of the OBS parallel file system; at most 1,024 ' +
          'characters. Required when category is EFS, OBS or OBSFS and ownership is DEDICATED.',
      ),
    id: uuid()
      .optional()
      .describe(
        'UUID of the dedicated EFS disk, e.g. 280a8bd5-03e2-4a5c-bea1-83d81e75bc53. ' +
          'Required when category is EFS and ownership is DEDICATED.',
      ),
    mount_path: text({ max: 256 }).optional().describe('Directory in the instance where the storage is mounted; at most 256 characters.'),
    read_only: z.boolean().optional().describe('Whether the mounted directory is read-only. Default false (read and write).'),
    dew_secret_name: text({ min: 1, max: 64 })
      .regex(/^[A-Za-z0-9_-]*$/, { error: 'may contain only letters, digits, "-" and "_"' })
      .optional()
      .describe('Name of the DEW secret that holds the AK/SK: 1-64 letters, digits, "-" and "_". Required when category is OBS.'),
    capacity: integer().optional().describe('EVS capacity in GB; valid only when category is EVS. Default 5.'),
  }).superRefine((volume, ctx) => {
    const category = upper(volume.category);
    const dedicated = upper(volume.ownership) === 'DEDICATED';
    if (dedicated && (category === 'EFS' || category === 'OBS' || category === 'OBSFS') && volume.uri === undefined) {
      ctx.addIssue({ code: 'custom', path: ['uri'], message: `is required when category is ${category} and ownership is DEDICATED` });
    }
    if (dedicated && category === 'EFS' && volume.id === undefined) {
      ctx.addIssue({ code: 'custom', path: ['id'], message: 'is required when category is EFS and ownership is DEDICATED' });
    }
    if (category === 'OBS' && volume.dew_secret_name === undefined) {
      ctx.addIssue({ code: 'custom', path: ['dew_secret_name'], message: 'is required when category is OBS' });
    }
    // Only judged against a valid category, so a mistyped category is reported once.
    if (volume.capacity !== undefined && category !== undefined && ['EFS', 'OBS', 'OBSFS'].includes(category)) {
      ctx.addIssue({ code: 'custom', path: ['capacity'], message: 'is only valid when category is EVS' });
    }
  });

  // ---------------------------------------------------------------------------------------------
  // CustomHooks > ContainerHooks > Config

  /** Base64 text or an absolute path: the two forms the reference allows for a boot script. */
  const SCRIPT = /^(\/.*|[A-Za-z0-9+/]+={0,2})$/s;

  const ConfigSchema = strict({
    script: z
      .string()
      .regex(SCRIPT, { error: 'must be a Base64-encoded script or the absolute path of a script' })
      .optional()
      .describe('The custom script, Base64-encoded, or the absolute path of a script.'),
    type: oneOf(['COMMAND', 'SCRIPT']).optional().describe('Script type: COMMAND or SCRIPT. Default SCRIPT.'),
    mode: oneOf(['BLOCK', 'ASYNC'])
      .optional()
      .describe('Whether the script runs synchronously (BLOCK) or asynchronously (ASYNC). Default ASYNC.'),
  });

  const ContainerHooksSchema = strict({
    post_start: ConfigSchema.optional().describe('Script run after the service in the container has started.'),
    pre_start: ConfigSchema.optional().describe('Script run before the service in the container starts.'),
  });

  const CustomHooksSchema = strict({
    container_hooks: ContainerHooksSchema.optional().describe("Hooks of the instance's container."),
  });

  // ---------------------------------------------------------------------------------------------
  // LeaseReq

  const DURATION_TEXT =
    'Run time in milliseconds, counted from now, after which the instance stops ' +
    'automatically: 3600000 (1 hour) to 259200000 (72 hours). Default 3600000.';

  const LeaseReqSchema = strict({
    duration: duration().optional().describe(DURATION_TEXT),
    // Huawei's SDK sends these in lower case ("timing"), the reference writes upper case.
    type: anyCaseOf(['TIMING', 'IDLE'])
      .optional()
      .describe(
        'Kind of automatic stop: TIMING (after the set duration) or IDLE (when the instance is idle), in any letter case. Default TIMING.',
      ),
  });

  // ---------------------------------------------------------------------------------------------
  // AffinityType > AffinityRule

  const LABEL_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
  const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

  /** Why a Kubernetes-style label key (`[prefix/]name`) is malformed, or undefined when it is fine. */
  function labelKeyProblem(key: string): string | undefined {
    const slash = key.indexOf('/');
    const prefix = slash === -1 ? undefined : key.slice(0, slash);
    const name = slash === -1 ? key : key.slice(slash + 1);
    if (name.length === 0) return 'must have a name after the prefix';
    if (name.length > 63) return 'name part must be at most 63 characters';
    if (!LABEL_NAME.test(name))
      return 'name part must start and end with a letter or digit and contain only letters, digits, "-", "_" and "."';
    if (prefix !== undefined) {
      if (prefix.length > 253) return 'prefix must be at most 253 characters';
      if (!prefix.split('.').every((label) => label.length <= 63 && DNS_LABEL.test(label))) {
        return 'prefix must be a DNS subdomain: lower-case labels of letters, digits and "-" separated by "."';
      }
    }
    return undefined;
  }

  const LABEL_VALUE = /^([A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?)?$/;

  // The reference makes key, values and operator mandatory in both lists that hold AffinityRule.
  const AffinityRuleSchema = strict({
    key: z
      .string()
      .superRefine((key, ctx) => {
        const problem = labelKeyProblem(key);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe(
        'Node label key, a default or a custom label: an optional prefix (a DNS subdomain of at most 253 characters) and ' +
          '"/", then a name of at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit.',
      ),
    operator: oneOf(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']).describe(
      "How the node's label is matched: In / NotIn (its value is / is not among values), Exists / DoesNotExist (the " +
        'label key is present / absent), Gt / Lt (its value is greater / less than the one listed, compared as strings).',
    ),
    values: z
      .array(
        text({ max: 63 }).regex(LABEL_VALUE, {
          error: 'must be empty or start and end with a letter or digit and contain only letters, digits, "-", "_" and "."',
        }),
      )
      .describe(
        'Node label values to match. Each is at most 63 characters: empty, or ' +
          'letters, digits, "-", "_" and "." starting and ending with a letter or digit.',
      ),
    weight: integer(0, 100).optional().describe('Weight of a weak (preferred) rule, 0 to 100; not set for strong (required) rules.'),
  });

  const AffinityTypeSchema = strict({
    required_during_scheduling_ignored_during_execution: z
      .array(AffinityRuleSchema)
      .optional()
      .describe(
        'Strong affinity in a dedicated pool: the instance is only scheduled to ' +
          'nodes matching these rules. Each rule needs key, operator and values.',
      ),
    preferred_during_scheduling_ignored_during_execution: z
      .array(AffinityRuleSchema)
      .optional()
      .describe(
        'Weak affinity in a dedicated pool: nodes matching these rules are preferred, the ' +
          'larger weight first. Each rule needs key, operator and values; weight is optional.',
      ),
  }).superRefine((affinity, ctx) => {
    affinity.required_during_scheduling_ignored_during_execution?.forEach((rule, i) => {
      if (rule.weight !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['required_during_scheduling_ignored_during_execution', i, 'weight'],
          message: 'must not be set for strong (required) affinity; weight applies only to preferred rules',
        });
      }
    });
  });

  // ---------------------------------------------------------------------------------------------
  // RunUserRequest

  const RunUserRequestSchema = strict({
    uid: integer().optional().describe("User ID of the container's startup user: 0 (root) or 1000 (ma-user, the default)."),
    gid: integer().optional().describe("Group ID of the container's startup user: 0 (root) or 100 (ma-group, the default)."),
  }).superRefine((user, ctx) => {
    // The reference allows two identities only: root/root (0/0) and ma-user/ma-group (1000/100, the default).
    const uid = user.uid ?? 1000;
    const gid = user.gid ?? 100;
    if (!((uid === 0 && gid === 0) || (uid === 1000 && gid === 100))) {
      ctx.addIssue({
        code: 'custom',
        path: [user.uid === undefined ? 'gid' : 'uid'],
        message: `uid/gid must be 0/0 (root) or 1000/100 (ma-user), not ${uid}/${gid} (an omitted uid defaults to 1000, gid to 100)`,
      });
    }
  });

  // ---------------------------------------------------------------------------------------------
  // UserVpcRequest

  const cidr = z.string().refine((v) => z.cidrv4().safeParse(v).success || z.cidrv6().safeParse(v).success, {
    error: 'must be a CIDR block, e.g. 192.168.0.0/16',
  });

  const UserVpcRequestSchema = strict({
    vpc_id: z.string().describe('ID of the VPC.'),
    subnet_id: z.string().describe('ID of the subnet.'),
    security_group_ids: z.array(z.string()).describe('IDs of the security groups.'),
    connect_cidrs: z
      .array(cidr)
      .optional()
      .describe('CIDR blocks to reach through the attached network interface, for access to addresses in other ranges.'),
  });

  // ---------------------------------------------------------------------------------------------
  // The request body

  const DESCRIPTION_FORBIDDEN = /[&<>"'/]/;

  return strict({
    description: text()
      .max(NOTEBOOK_DESCRIPTION_MAX, {
        error:
          `must be at most ${NOTEBOOK_DESCRIPTION_MAX} characters (512 minus ` +
          `${NOTEBOOK_MARKER_LENGTH} reserved for hwc-provisioner's ownership marker)`,
      })
      .refine((v) => !DESCRIPTION_FORBIDDEN.test(v), { error: 'must not contain any of & < > " \' /' })
      .optional()
      .describe(
        `Description of the instance: at most ${NOTEBOOK_DESCRIPTION_MAX} characters (Huawei allows 512; ` +
          `hwc-provisioner appends a ${NOTEBOOK_MARKER_LENGTH}-character ownership marker), none of & < > " ' /.`,
      ),
    endpoints: z
      .array(EndpointsReqSchema)
      .optional()
      .describe('Remote access settings, needed only to connect over SSH from a local IDE (such as PyCharm or VS Code) or an SSH client.'),
    feature: oneOf(['DEFAULT', 'NOTEBOOK'])
      .optional()
      .describe(
        'Instance category: DEFAULT (a free CodeLab instance, at most one per user) or NOTEBOOK (a billed instance). Default NOTEBOOK.',
      ),
    flavor: text({ min: 1 })
      .optional()
      .describe(
        'Flavor (machine specification) of the instance, e.g. modelarts.vm.cpu.2u; which ' +
          'flavors exist depends on the region (see the console). Set either flavor or custom_spec.',
      ),
    custom_spec: NotebookCustomSpecSchema.optional().describe(
      "Custom specification of the instance, instead of flavor: only in CPU or GPU dedicated pools, within the pool's node specifications.",
    ),
    image_id: uuid().describe(
      'UUID of the image the instance is created from; valid ids are listed by the ModelArts API that queries supported images.',
    ),
    // Optional here: the envelope fills it in from metadata.name (envelope.ts).
    name: text({ min: 1, max: 128 })
      .regex(/^[A-Za-z0-9_-]*$/, { error: 'may contain only letters, digits, "-" and "_"' })
      .optional()
      .describe(
        'Name of the instance at Huawei: at most 128 letters, digits, "-" and "_"; names ' +
          'may repeat. Defaults to metadata.name; a different name is accepted with a warning.',
      ),
    pool_id: text({ min: 1 })
      .optional()
      .describe(
        'ID of the dedicated resource pool to create the instance in; required to use a dedicated ' +
          'pool. Alternatively spec.poolRef names a ResourcePool manifest whose id fills it in.',
      ),
    volume: VolumeMountRequestSchema.describe('Storage of the instance.'),
    workspace_id: z
      .string()
      .regex(/^(0|[0-9a-z]{32})$/, { error: 'must be "0" or 32 characters of digits and lower-case letters' })
      .optional()
      .describe(
        'Workspace ID: "0" when no workspace is used (the default), otherwise the 32 digits and lower-case letters of the workspace\'s id.',
      ),
    hooks: CustomHooksSchema.optional().describe('Custom scripts run when the instance starts.'),
    lease: LeaseReqSchema.optional().describe('Automatic stop of the instance.'),
    affinity: AffinityTypeSchema.optional().describe('Affinity of the instance to nodes of a dedicated pool.'),
    run_user: RunUserRequestSchema.optional().describe(
      "User and group the instance's container starts as: uid 0 and gid 0 " +
        '(root/root), or uid 1000 and gid 100 (ma-user/ma-group, the default).',
    ),
    data_volumes: z.array(VolumeMountRequestSchema).optional().describe('Additional (extended) storage mounted into the instance.'),
    user_vpc: UserVpcRequestSchema.optional().describe('A VPC of yours that the instance is attached to.'),
    duration: duration().optional().describe(DURATION_TEXT),
  }).superRefine((body, ctx) => {
    // "Either custom_spec or flavor must be set"; Huawei's SDK adds that the two cannot be combined.
    if (body.flavor === undefined && body.custom_spec === undefined) {
      ctx.addIssue({ code: 'custom', path: ['flavor'], message: 'either flavor or custom_spec must be set' });
    } else if (body.flavor !== undefined && body.custom_spec !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['custom_spec'],
        message: 'cannot be set together with flavor; set either flavor or custom_spec',
      });
    }
  });
});
