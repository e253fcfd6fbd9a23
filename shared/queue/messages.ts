/** The dispatch queue's message: bring this resource of this request to the generation it asked for. The table holds the rest. */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { runLimited } from '../concurrency';
import { isKind } from '../kinds/registry';

export const DispatchMessageSchema = z.object({
  requestId: z.string().min(1),
  kind: z.string().refine((kind): boolean => isKind(kind), { error: 'is not a known kind' }),
  name: z.string().min(1),
  /**
   * Set by a referenced resource of the same request (a pool) that ended Succeeded or Unchanged when it queues
   * its dependents: its Huawei id, which its managed resource holds from then on (a Succeeded one never
   * changes id), so the dependent need not read it again.
   */
  poolId: z.string().min(1).optional(),
});
export type DispatchMessage = z.infer<typeof DispatchMessageSchema>;

export interface QueueRef {
  sqs: SQSClient;
  queueUrl: string;
}

/** Batches of ten in flight at once, at most: a 200-resource request is 20 sends, which need not wait for each other. */
const PARALLEL_BATCHES = 5;

/** Sends in batches of ten, re-sending entries SQS reports as failed; throws if any still fail. */
export async function enqueueDispatch(queue: QueueRef, messages: readonly DispatchMessage[]): Promise<void> {
  const batches: DispatchMessage[][] = [];
  for (let start = 0; start < messages.length; start += 10) batches.push(messages.slice(start, start + 10));
  const sendBatch = async (batch: readonly DispatchMessage[]) => {
    let pending = batch.map((m, i) => ({ Id: String(i), MessageBody: JSON.stringify(m) }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      const result = await queue.sqs.send(new SendMessageBatchCommand({ QueueUrl: queue.queueUrl, Entries: pending }));
      const failed = new Set((result.Failed ?? []).map((f) => f.Id));
      pending = pending.filter((entry) => failed.has(entry.Id));
      if (pending.length > 0 && attempt >= 2) {
        throw new Error(`could not enqueue ${pending.length} dispatch message(s): ${result.Failed?.[0]?.Code ?? 'unknown'}`);
      }
    }
  };
  await runLimited(batches, PARALLEL_BATCHES, sendBatch);
}
