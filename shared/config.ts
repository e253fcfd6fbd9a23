/** The one configuration module: every environment variable the product reads is declared and parsed here. */
import { z } from 'zod';

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
  const result = schema.safeParse(cleaned);
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

/** Huawei Cloud access: names follow Huawei's SDK convention so existing credentials files carry over. */
export const HuaweiEnvSchema = z.object({
  HUAWEICLOUD_SDK_AK: z.string().min(1).optional(),
  HUAWEICLOUD_SDK_SK: z.string().min(1).optional(),
  HUAWEICLOUD_SDK_SECURITY_TOKEN: z.string().min(1).optional(),
  /** Deployed mode: name or ARN of a Secrets Manager secret holding {"ak","sk","securityToken"?}. */
  HUAWEICLOUD_CREDENTIALS_SECRET: z.string().min(1).optional(),
  HUAWEICLOUD_SDK_PROJECT_ID: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a project id (letters, digits, -)').optional(),
  HUAWEICLOUD_REGION: z.string().regex(/^[a-z]{2,3}(-[a-z]+)+-\d+$/, 'must look like cn-north-4').default('cn-north-4'),
  HUAWEICLOUD_MODELARTS_ENDPOINT: optionalUrl,
  HUAWEICLOUD_IEF_ENDPOINT: optionalUrl,
  /** Per-request timeouts of the Huawei client, in milliseconds. */
  HUAWEICLOUD_CONNECT_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
  HUAWEICLOUD_READ_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
});
export type HuaweiEnv = z.infer<typeof HuaweiEnvSchema>;
