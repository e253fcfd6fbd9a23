/** Prints the events from a queue subscribed to the events topic, one readable line each, and says which requests start moving. */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { EVENT_TYPES } from '../shared/events/cloudevents';

/** How to decide on a request held for approval, as the local stack can: a curl with the approver's token, a Jira transition. */
export type ApprovalHint = (request: { requestId: string; ticket?: string }) => string[];

export function createEventPrinter(opts: {
  sqs: SQSClient;
  queueUrl: string;
  print: (line: string) => void;
  approvalHint?: ApprovalHint;
  /** Told of each request that starts moving (accepted, or approved), to show its progress until it ends. */
  follow?: (requestId: string) => void;
}): { stop(): Promise<void> } {
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
            // A look for drift: what differs (path: observed → desired) and whether it is corrected.
            ...(Array.isArray(data.diff) && data.diff.length > 0
              ? [
                  data.diff
                    .map(
                      (d: { path: string; desired: unknown; observed: unknown }) =>
                        `${d.path}: ${JSON.stringify(d.observed)} (manifest: ${JSON.stringify(d.desired)})`,
                    )
                    .join('; '),
                ]
              : []),
            data.driftPolicy ? `driftPolicy=${data.driftPolicy}` : '',
          ]
            .filter(Boolean)
            .join(' ');
          opts.print(`[event] ${event.time} ${event.type} ${event.subject} ${detail} (request ${data.requestId})`);
          if ((event.type === EVENT_TYPES.requestAccepted || event.type === EVENT_TYPES.requestApproved) && data.requestId)
            opts.follow?.(String(data.requestId));
          if (event.type === 'hwc-provisioner.request.pending_approval' && data.approval) {
            const approvers = data.approval.approvers?.length ? data.approval.approvers.join(', ') : 'any holder of the approve role';
            opts.print(
              `        awaiting approval by ${approvers} until ${data.approval.expiresAt}: ${data.approval.reasons?.join('; ') ?? ''}`,
            );
            for (const line of opts.approvalHint?.({ requestId: data.requestId, ticket: data.source?.ticket }) ?? [])
              opts.print(`        ${line}`);
          }
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
