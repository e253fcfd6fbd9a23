/**
 * Named failures of the notifier; `retryable` decides between an SQS retry and a logged, dropped report. A provider
 * or subscriber that answered with an error, or could not be reached, is the shared ProviderApiError (shared/providers/http.ts).
 */
import { ProviderApiError } from '../providers/http';

/** Another invocation is writing the same status or comment right now; the message comes back later. */
export class NotifyBusyError extends Error {
  readonly code = 'NOTIFY_BUSY';
  readonly retryable = true;
  constructor(what: string) {
    super(`${what} is being written by another invocation`);
    this.name = 'NotifyBusyError';
  }
}

/** Some targets of one event failed in a way a retry can fix; the others are done and will not be repeated. */
export class DeliveryFailedError extends Error {
  readonly code = 'NOTIFY_DELIVERY_FAILED';
  constructor(readonly failures: readonly { target: string; message: string }[]) {
    super(`${failures.length} target(s) failed: ${failures.map((f) => `${f.target}: ${f.message}`).join('; ')}`);
    this.name = 'DeliveryFailedError';
  }
}

/** The SQS message is not an event the notifier understands; retrying cannot help. */
export class NotAnEventError extends Error {
  readonly code = 'NOT_AN_EVENT';
  constructor(detail: string) {
    super(`not a hwc-provisioner event: ${detail}`);
    this.name = 'NotAnEventError';
  }
}

/** Only a provider's answer can be permanent; anything else (a bug, an AWS hiccup) goes back to SQS. */
export function isRetryable(error: unknown): boolean {
  return (error as { retryable?: unknown })?.retryable === true || !(error instanceof ProviderApiError);
}
