/** What every step of the lifecycle shares: its dependencies, the retry signal, and a request resource as its adapter sees it. */
import type { HuaweiTarget } from '../huaweicloud/client';
import type { AdapterResource, ResourceSpec } from '../kinds/adapter';
import { adapterOf } from '../kinds/registry';
import type { ResourceRecord } from '../store/types';
import type { CloudApi } from './cloud';
import type { FinishDeps } from './finish';
import type { QueueRef } from '../queue/messages';

interface ExecutionSettings {
  leaseSeconds: number;
  waitRecheckSeconds: number;
  pollScale: number;
  maxReceives: number;
}

/** What the lifecycle needs: the table, the topic, the dispatch queue, Huawei, and its timings. */
export interface ReconcileDeps extends FinishDeps {
  cloud: CloudApi;
  /** Where a look for drift hands a correction (driftPolicy: Correct) to intake; absent, drift is only reported. */
  intake?: QueueRef;
  settings: ExecutionSettings;
  /**
   * Test seams that stand for the process dying at the dangerous points: after an intent is written (create,
   * update, delete) and after a call to Huawei is sent but before its answer is recorded. Never set in production.
   */
  crashPoints?: { afterIntent?: () => void; afterCreate?: () => void };
}

/** The message should come back later (SQS redelivery with backoff); nothing was decided. */
export class RetryLaterError extends Error {
  readonly code = 'RETRY_LATER';
  constructor(
    message: string,
    /** When known, how long until a retry can succeed (e.g. until another attempt's lease runs out). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

export const specOf = (resource: Pick<ResourceRecord, 'manifest'>) => (resource.manifest as { spec: ResourceSpec }).spec;

/** The resource as its kind's adapter sees it. */
export function adapterResource(resource: Pick<ResourceRecord, 'projectId' | 'region' | 'name' | 'manifest'>): AdapterResource {
  return { projectId: resource.projectId, region: resource.region, name: resource.name, spec: specOf(resource) };
}

/** Where the calls for a resource go: its project and region, and what its reference resolved to. */
export function targetOf(
  resource: Pick<ResourceRecord, 'kind' | 'projectId' | 'region' | 'name' | 'manifest'>,
  referenceId?: string,
): HuaweiTarget {
  return adapterOf(resource.kind).target(adapterResource(resource), referenceId);
}

export function keyOf(resource: Pick<ResourceRecord, 'requestId' | 'kind' | 'name'>) {
  return { requestId: resource.requestId, kind: resource.kind, name: resource.name };
}
