/** Publishing events to the SNS topic, with the attributes subscribers filter on. */
import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { OutgoingEvent } from './cloudevents';

export interface TopicRef {
  sns: SNSClient;
  topicArn: string;
}

/** Publishes in batches of ten; throws when any entry fails so the caller keeps it in the outbox. */
export async function publishEvents(topic: TopicRef, events: readonly OutgoingEvent[]): Promise<void> {
  for (let start = 0; start < events.length; start += 10) {
    const chunk = events.slice(start, start + 10);
    const result = await topic.sns.send(
      new PublishBatchCommand({
        TopicArn: topic.topicArn,
        PublishBatchRequestEntries: chunk.map(({ event, attributes }, i) => ({
          Id: String(i),
          Message: JSON.stringify(event),
          MessageAttributes: {
            type: { DataType: 'String', StringValue: attributes.type },
            kind: { DataType: 'String', StringValue: attributes.kind },
            outcome: { DataType: 'String', StringValue: attributes.outcome },
          },
        })),
      }),
    );
    if (result.Failed && result.Failed.length > 0) {
      throw new Error(`SNS rejected ${result.Failed.length} event(s): ${result.Failed[0]!.Code ?? 'unknown'}`);
    }
  }
}
