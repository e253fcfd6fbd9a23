/**
 * The notifier's input: a CloudEvent from the events topic, delivered raw or inside SNS's JSON envelope, held
 * to the published contract (shared/events/schema.ts) like any other subscriber would hold it.
 */
import * as z from 'zod';
import { DriftEventSchema, RequestDataSchema, RequestEventSchema, RequestResourceSchema, ResourceEventSchema } from '../events/schema';
import { NotAnEventError } from './errors';

/**
 * Request events written before their resources carried `message` can still arrive (an outbox flushed late,
 * a dead letter redriven), and they deserve feedback too: only that field may be missing here.
 */
const ReceivedRequestEventSchema = RequestEventSchema.extend({
  data: RequestDataSchema.extend({
    resources: z.array(RequestResourceSchema.extend({ message: RequestResourceSchema.shape.message.optional() })),
  }),
});

// Discriminated, so a bad event is reported by the paths of its own type's fields rather than as a failed union.
const NotifyEventSchema = z.discriminatedUnion('type', [ResourceEventSchema, ReceivedRequestEventSchema, DriftEventSchema]);

export type NotifyEvent = z.infer<typeof NotifyEventSchema>;
type ResourceNotifyEvent = z.infer<typeof ResourceEventSchema>;
export type DriftNotifyEvent = z.infer<typeof DriftEventSchema>;

const RESOURCE_EVENT_TYPES: ReadonlySet<string> = new Set(ResourceEventSchema.shape.type.options);
const DRIFT_EVENT_TYPES: ReadonlySet<string> = new Set(DriftEventSchema.shape.type.options);

/** A look for drift's finding: about a resource, not about a request's outcome. */
export function isDriftEvent(event: NotifyEvent): event is DriftNotifyEvent {
  return DRIFT_EVENT_TYPES.has(event.type);
}

/** Narrows where `type === ...` cannot: each event shape has several types, so one comparison leaves both shapes possible. */
export function isResourceEvent(event: NotifyEvent): event is ResourceNotifyEvent {
  return RESOURCE_EVENT_TYPES.has(event.type);
}

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
  // The event as received, not zod's copy: that drops fields the schema does not name, and webhook
  // subscribers must get what was published, field for field (the schema transforms nothing).
  return parsed as NotifyEvent;
}
