/**
 * The Notebook create body: ModelArts `POST /v1/{project_id}/notebooks`.
 *
 * Object names follow the API reference's tables. Where the scraped reference lost an enum
 * list ("Range:" left blank), the values come from Huawei's own SDK model of the same API;
 * docs/constraints/notebook.md lists every rule and every judgement call.
 */
import * as z from 'zod';
import { NOTEBOOK_DESCRIPTION_MAX, NOTEBOOK_MARKER_LENGTH } from '../ownership';
import { anyCaseOf, integer, oneOf, strict, text } from '../zod-helpers';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const uuid = () => z.string().regex(UUID, { error: 'must be a UUID, e.g. 280a8bd5-03e2-4a5c-bea1-83d81e75bc53' });

/** Auto-stop window in milliseconds, shared by `duration` and `lease.duration`. */
const duration = () => integer(3_600_000, 259_200_000);

/** Enum values compared case-insensitively in cross-field rules (the enums accept any case). */
const upper = (value: string | undefined) => value?.toUpperCase();

// ---------------------------------------------------------------------------------------------
// EndpointsReq

const EndpointsReqSchema = strict({
  service: oneOf(['NOTEBOOK', 'SSH']).optional(),
  key_pair_names: z.array(z.string()).optional(),
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
    .optional(),
  cpu: z
    .number()
    .min(0.4, { error: 'must be at least 0.4' })
    .refine((n) => CPU_DIGITS.test(String(n)), { error: 'must have at most 10 digits before the decimal point and at most 2 after it' }),
  memory: z
    .number()
    .refine((n) => Number.isInteger(n) && n >= 513 && n <= 9_999_999_999, { error: `must be ${MEMORY_RULE}` }),
  gpu_type: z.string().optional(),
  // The response example writes "x86_64" in lower case.
  arch: anyCaseOf(['X86_64', 'AARCH64']).optional(),
  category: anyCaseOf(['CPU', 'GPU']).optional(),
  resource_flavor: z.string().optional(),
}).superRefine((spec, ctx) => {
  // The table marks arch and category optional, but mandatory for custom specs in CPU/GPU dedicated
  // pools, the only place custom_spec is supported; the reference's second example omits both.
  for (const field of ['arch', 'category'] as const) {
    if (spec[field] === undefined) {
      ctx.addIssue({ code: 'custom', path: [field], message: 'is required: "mandatory for custom specifications in CPU/GPU dedicated pools"' });
    }
  }
  const category = upper(spec.category);
  for (const field of ['gpu', 'gpu_type'] as const) {
    if (category === 'CPU' && spec[field] !== undefined) {
      ctx.addIssue({ code: 'custom', path: [field], message: 'must not be set when category is CPU (not available in CPU dedicated pools)' });
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
  category: anyCaseOf(['EVS', 'EFS', 'OBS', 'OBSFS']),
  ownership: anyCaseOf(['MANAGED', 'DEDICATED']),
  uri: text({ max: 1024 }).optional(),
  id: uuid().optional(),
  mount_path: text({ max: 256 }).optional(),
  read_only: z.boolean().optional(),
  dew_secret_name: text({ min: 1, max: 64 })
    .regex(/^[A-Za-z0-9_-]*$/, { error: 'may contain only letters, digits, "-" and "_"' })
    .optional(),
  capacity: integer().optional(),
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
    .optional(),
  type: oneOf(['COMMAND', 'SCRIPT']).optional(),
  mode: oneOf(['BLOCK', 'ASYNC']).optional(),
});

const ContainerHooksSchema = strict({
  post_start: ConfigSchema.optional(),
  pre_start: ConfigSchema.optional(),
});

const CustomHooksSchema = strict({
  container_hooks: ContainerHooksSchema.optional(),
});

// ---------------------------------------------------------------------------------------------
// LeaseReq

const LeaseReqSchema = strict({
  duration: duration().optional(),
  // Huawei's SDK sends these in lower case ("timing"), the reference writes upper case.
  type: anyCaseOf(['TIMING', 'IDLE']).optional(),
});

// ---------------------------------------------------------------------------------------------
// AffinityType > AffinityRule

const LABEL_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Why a Kubernetes-style label key (`[prefix/]name`) is malformed, or undefined when it is fine. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (name.length === 0) return 'must have a name after the prefix';
  if (name.length > 63) return 'name part must be at most 63 characters';
  if (!LABEL_NAME.test(name)) return 'name part must start and end with a letter or digit and contain only letters, digits, "-", "_" and "."';
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
  key: z.string().superRefine((key, ctx) => {
    const problem = labelKeyProblem(key);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  operator: oneOf(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']),
  values: z.array(
    text({ max: 63 }).regex(LABEL_VALUE, { error: 'must be empty or start and end with a letter or digit and contain only letters, digits, "-", "_" and "."' }),
  ),
  weight: integer(0, 100).optional(),
});

const AffinityTypeSchema = strict({
  required_during_scheduling_ignored_during_execution: z.array(AffinityRuleSchema).optional(),
  preferred_during_scheduling_ignored_during_execution: z.array(AffinityRuleSchema).optional(),
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
  uid: integer().optional(),
  gid: integer().optional(),
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

const cidr = z
  .string()
  .refine((v) => z.cidrv4().safeParse(v).success || z.cidrv6().safeParse(v).success, { error: 'must be a CIDR block, e.g. 192.168.0.0/16' });

const UserVpcRequestSchema = strict({
  vpc_id: z.string(),
  subnet_id: z.string(),
  security_group_ids: z.array(z.string()),
  connect_cidrs: z.array(cidr).optional(),
});

// ---------------------------------------------------------------------------------------------
// The request body

const DESCRIPTION_FORBIDDEN = /[&<>"'/]/;

export const NotebookBodySchema = strict({
  description: text()
    .max(NOTEBOOK_DESCRIPTION_MAX, {
      error: `must be at most ${NOTEBOOK_DESCRIPTION_MAX} characters (512 minus ${NOTEBOOK_MARKER_LENGTH} reserved for hwc-provisioner's ownership marker)`,
    })
    .refine((v) => !DESCRIPTION_FORBIDDEN.test(v), { error: 'must not contain any of & < > " \' /' })
    .optional(),
  endpoints: z.array(EndpointsReqSchema).optional(),
  feature: oneOf(['DEFAULT', 'NOTEBOOK']).optional(),
  flavor: text({ min: 1 }).optional(),
  custom_spec: NotebookCustomSpecSchema.optional(),
  image_id: uuid(),
  name: text({ min: 1, max: 128 }).regex(/^[A-Za-z0-9_-]*$/, { error: 'may contain only letters, digits, "-" and "_"' }),
  pool_id: text({ min: 1 }).optional(),
  volume: VolumeMountRequestSchema,
  workspace_id: z
    .string()
    .regex(/^(0|[0-9a-z]{32})$/, { error: 'must be "0" or 32 characters of digits and lower-case letters' })
    .optional(),
  hooks: CustomHooksSchema.optional(),
  lease: LeaseReqSchema.optional(),
  affinity: AffinityTypeSchema.optional(),
  run_user: RunUserRequestSchema.optional(),
  data_volumes: z.array(VolumeMountRequestSchema).optional(),
  user_vpc: UserVpcRequestSchema.optional(),
  duration: duration().optional(),
}).superRefine((body, ctx) => {
  // "Either custom_spec or flavor must be set"; Huawei's SDK adds that the two cannot be combined.
  if (body.flavor === undefined && body.custom_spec === undefined) {
    ctx.addIssue({ code: 'custom', path: ['flavor'], message: 'either flavor or custom_spec must be set' });
  } else if (body.flavor !== undefined && body.custom_spec !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['custom_spec'], message: 'cannot be set together with flavor; set either flavor or custom_spec' });
  }
});

export type NotebookBody = z.infer<typeof NotebookBodySchema>;
