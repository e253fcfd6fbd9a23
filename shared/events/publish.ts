/** Publishing events to the SNS topic, with the attributes subscribers filter on. */
import { PublishBatchCommand, type PublishBatchRequestEntry, type SNSClient } from '@aws-sdk/client-sns';
import type { OutgoingEvent } from './cloudevents';
import { coalescer } from './coalesce';

export interface TopicRef {
  sns: SNSClient;
  topicArn: string;
}

type Entry = Omit<PublishBatchRequestEntry, 'Id'> & { bytes: number };

function entryOf({ event, attributes }: OutgoingEvent): Entry {
  const message = JSON.stringify(event);
  return {
    Message: message,
    MessageAttributes: {
      type: { DataType: 'String', StringValue: attributes.type },
      kind: { DataType: 'String', StringValue: attributes.kind },
      outcome: { DataType: 'String', StringValue: attributes.outcome },
    },
    bytes: Buffer.byteLength(message) + 200,
  };
}

/**
 * One PublishBatch carries what concurrent publishers of a process have ready (up to ten entries, well
 * under SNS's 256 KB): every finisher publishes its own event, and under load most of them share a call.
 * An entry SNS rejects fails only its own publisher, which keeps that event in its outbox.
 */
const publishCoalesced = coalescer<TopicRef, Entry, void>(
  async (topic, entries) => {
    const result = await topic.sns.send(
      new PublishBatchCommand({
        TopicArn: topic.topicArn,
        PublishBatchRequestEntries: entries.map(({ bytes: _bytes, ...entry }, i) => ({ Id: String(i), ...entry })),
      }),
    );
    const failed = new Map((result.Failed ?? []).map((f) => [f.Id, f]));
    return entries.map((_, i) => {
      const failure = failed.get(String(i));
      return failure ? new Error(`SNS rejected the event: ${failure.Code ?? 'unknown'}`) : undefined;
    });
  },
  { maxItems: 10, maxInFlight: 2, maxBytes: 200_000, sizeOf: (entry) => entry.bytes },
);

/** Publishes every event; throws when any fails so the caller keeps them in the outbox (a repeat has the same id). */
export async function publishEvents(topic: TopicRef, events: readonly OutgoingEvent[]): Promise<void> {
  await Promise.all(events.map((event) => publishCoalesced(topic, topic, entryOf(event))));
}
