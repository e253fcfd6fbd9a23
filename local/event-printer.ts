/** Prints completion events from a queue subscribed to the events topic, one readable line each. */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

export function createEventPrinter(opts: { sqs: SQSClient; queueUrl: string; print: (line: string) => void }): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      const { Messages = [] } = await opts.sqs
        .send(new ReceiveMessageCommand({ QueueUrl: opts.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))
        .catch(() => ({ Messages: [] }));
      for (const message of Messages) {
        try {
          const event = JSON.parse(message.Body ?? '{}');
          const data = event.data ?? {};
          const detail = [
            data.state,
            data.operation && data.operation !== 'create' ? `(${data.operation})` : '',
            data.huaweiId ? `id=${data.huaweiId}` : '',
            data.reason ? `reason=${data.reason}` : '',
            data.message ? `"${data.message}"` : '',
          ]
            .filter(Boolean)
            .join(' ');
          opts.print(`[event] ${event.time} ${event.type} ${event.subject} ${detail} (request ${data.requestId})`);
        } catch {
          opts.print(`[event] ${message.Body}`);
        }
      }
      if (Messages.length > 0) {
        await opts.sqs
          .send(
            new DeleteMessageBatchCommand({
              QueueUrl: opts.queueUrl,
              Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
            }),
          )
          .catch(() => undefined);
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
