/** The dispatch queue's message: which resource of which request to create. The table holds the rest. */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { KINDS } from '../manifests/kinds';

export const DispatchMessageSchema = z.object({
  requestId: z.string().min(1),
  kind: z.enum(KINDS),
  name: z.string().min(1),
});
export type DispatchMessage = z.infer<typeof DispatchMessageSchema>;

export interface QueueRef {
  sqs: SQSClient;
  queueUrl: string;
}

/** Sends in batches of ten, re-sending entries SQS reports as failed; throws if any still fail. */
export async function enqueueDispatch(queue: QueueRef, messages: readonly DispatchMessage[]): Promise<void> {
  for (let start = 0; start < messages.length; start += 10) {
    let pending = messages.slice(start, start + 10).map((m, i) => ({ Id: String(i), MessageBody: JSON.stringify(m) }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      const result = await queue.sqs.send(new SendMessageBatchCommand({ QueueUrl: queue.queueUrl, Entries: pending }));
      const failed = new Set((result.Failed ?? []).map((f) => f.Id));
      pending = pending.filter((entry) => failed.has(entry.Id));
      if (pending.length > 0 && attempt >= 2) {
        throw new Error(`could not enqueue ${pending.length} dispatch message(s): ${result.Failed?.[0]?.Code ?? 'unknown'}`);
      }
    }
  }
}
