/**
 * What the list routes take (GET /requests, GET /resources, GET /resources/{kind}/{name}): the query strings are
 * validated with these schemas, and the OpenAPI description is generated from the same ones. What they answer is
 * in schemas.ts.
 */
import * as z from 'zod';
import { PROVIDERS, REQUEST_STATES } from '../store/types';

/** A query string its schema refuses: the message names the parameter. */
export class QueryError extends Error {
  readonly code = 'INVALID_QUERY';
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}

/**
 * A query string (Hono's `c.req.queries()`) through its schema. A parameter given twice is refused rather than
 * one of them ignored; `dropEmpty` drops the empty values a GET form sends for "any".
 */
export function readQuery<S extends z.ZodType>(queries: Record<string, string[]>, schema: S, dropEmpty = false): z.infer<S> {
  const raw: Record<string, string> = {};
  for (const [name, values] of Object.entries(queries)) {
    if (values.length !== 1) throw new QueryError(`${name.slice(0, 64)} must be given once`);
    if (!dropEmpty || values[0] !== '') raw[name] = values[0]!;
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => k.slice(0, 64)).join(', ') : issue.path.join('.');
  throw new QueryError(`${where}: ${issue.message}`);
}

const limit = z.coerce.number().int().min(1).max(100).default(25);
const cursor = z.string().min(1).max(2048).optional();

export const ListRequestsQuerySchema = z.strictObject({
  source: z.enum(PROVIDERS).optional(),
  state: z.enum(REQUEST_STATES).optional(),
  /** Only the caller's own requests, whatever else the caller may see. */
  mine: z.stringbool().optional(),
  limit,
  cursor,
});

export const ListResourcesQuerySchema = z.strictObject({
  kind: z.string().min(1).max(64).optional(),
  owner: z.string().min(1).max(256).optional(),
  limit,
  cursor,
});

export const GetResourceQuerySchema = z.strictObject({
  projectId: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'must be 1-64 letters, digits or -')
    .optional(),
});
