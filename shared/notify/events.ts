/** The notifier's input: a CloudEvent from the events topic, delivered raw or inside SNS's JSON envelope. */
import * as z from 'zod';
import { EVENT_TYPES } from '../events/cloudevents';
import type { RequestSource } from '../store/types';
import { NotAnEventError } from './errors';

const SourceSchema = z.looseObject({
  provider: z.enum(['github', 'gitlab', 'jira', 'api', 'queue']),
  ref: z.string(),
  repository: z.string().optional(),
  commit: z.string().optional(),
  branch: z.string().optional(),
  ticket: z.string().optional(),
  url: z.string().optional(),
});

const ResourceSchema = z.looseObject({
  kind: z.string(),
  name: z.string(),
  state: z.string(),
  huaweiId: z.string().nullish(),
  reason: z.string().nullish(),
  message: z.string().nullish(),
});

const DataSchema = z.looseObject({
  requestId: z.string().min(1),
  source: SourceSchema,
  state: z.string(),
  kind: z.string().optional(),
  name: z.string().optional(),
  huaweiId: z.string().nullish(),
  reason: z.string().nullish(),
  message: z.string().nullish(),
  resources: z.array(ResourceSchema).optional(),
  errors: z
    .array(
      z.looseObject({
        file: z.string(),
        kind: z.string().optional(),
        name: z.string().optional(),
        errors: z.array(z.looseObject({ path: z.string(), message: z.string(), line: z.number(), column: z.number() })),
      }),
    )
    .optional(),
});

const NotifyEventSchema = z.looseObject({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  source: z.string(),
  type: z.enum(Object.values(EVENT_TYPES) as [string, ...string[]]),
  subject: z.string(),
  time: z.string(),
  data: DataSchema,
});

export type NotifyEvent = z.infer<typeof NotifyEventSchema> & { data: { source: RequestSource } };

/** Raw delivery is what serverless.yml configures; the envelope form is accepted too, so a subscription flag cannot break feedback. */
export function parseEventMessage(body: string): NotifyEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new NotAnEventError('body is not JSON');
  }
  const envelope = parsed as { Type?: unknown; Message?: unknown };
  if (envelope && envelope.Type === 'Notification' && typeof envelope.Message === 'string') {
    try {
      parsed = JSON.parse(envelope.Message);
    } catch {
      throw new NotAnEventError('SNS message is not JSON');
    }
  }
  const result = NotifyEventSchema.safeParse(parsed);
  if (!result.success)
    throw new NotAnEventError(
      result.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.') || '(root)'} ${i.message}`)
        .join('; '),
    );
  return result.data as NotifyEvent;
}
