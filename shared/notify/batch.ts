/** The notify queue's batch handler: events in arrival order, failed records reported back to SQS for redelivery. */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { sqsBatchHandler } from '../sqs-batch';
import { parseEventMessage } from './events';
import { notify, type NotifyDeps } from './notifier';

/**
 * One record at a time: the events of one request usually share a batch, and their statuses should be
 * written in the order they happened. A record that is not an event fails too: it ends in the DLQ where
 * someone sees it, rather than vanishing.
 */
export function notifyBatchHandler(deps: () => Promise<NotifyDeps>): (event: SQSEvent) => Promise<SQSBatchResponse> {
  const record = async (item: SQSRecord) => {
    const resolved = await deps();
    const event = parseEventMessage(item.body);
    const { targets } = await notify(resolved, event);
    resolved.logger.info('event reported', {
      messageId: item.messageId,
      eventId: event.id,
      type: event.type,
      requestId: event.data.requestId,
      targets,
    });
  };
  return sqsBatchHandler(record, { processInParallel: false });
}
