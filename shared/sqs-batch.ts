/** The one shape of an SQS-triggered Lambda: Powertools partial batch responses around a per-record handler. */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export interface SqsBatchOptions {
  /**
   * Records run concurrently unless this is false. The notifier sets it: the events of one request usually
   * share a batch, and their statuses should be written in the order they happened.
   */
  processInParallel?: boolean;
}

/**
 * A failed record is reported in `batchItemFailures` and comes back from SQS; the others are deleted.
 *
 * Every record failing is reported like any partial failure (`throwOnFullBatchFailure: false`): the same
 * outcome for SQS, without an error log storm. Message bodies are parsed by the record handlers rather than
 * Powertools' parser: each queue answers an unparsable body differently (intake records a rejection, the
 * dispatcher and the notifier fail the record into the DLQ with a named error), and the parser would need
 * `@aws-lambda-powertools/parser` in every bundle for a generic ParsingError.
 */
export function sqsBatchHandler(
  record: (record: SQSRecord) => Promise<unknown>,
  options: SqsBatchOptions = {},
): (event: SQSEvent) => Promise<SQSBatchResponse> {
  // A processor per invocation: it holds the batch's records and failures, and the local runners (npm start, the
  // benchmarks) invoke one handler concurrently, as Lambda never does within a container. A shared one let
  // invocations report each other's failures ("batchItemFailures names an unknown message").
  return (event) =>
    processPartialResponse(event, record, new BatchProcessor(EventType.SQS), {
      throwOnFullBatchFailure: false,
      ...(options.processInParallel === false ? { processInParallel: false } : {}),
    });
}
