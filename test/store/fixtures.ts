/** Minimal request and resource records for store-level tests: only what the table writes need. */
import { randomBytes } from 'node:crypto';
import type { RequestRecord, ResourceRecord } from '../../shared/store/types';

export const newRequestId = () => `req-${randomBytes(6).toString('hex')}`;

export function request(requestId: string, overrides: Partial<RequestRecord> = {}): RequestRecord {
  const now = new Date().toISOString();
  return {
    requestId,
    source: { provider: 'api', ref: 'api:test' },
    phase: 'Accepted',
    resourceCount: 1,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

export function resource(requestId: string, name: string, overrides: Partial<ResourceRecord> = {}): ResourceRecord {
  const now = new Date().toISOString();
  return {
    requestId,
    kind: 'Notebook',
    name,
    projectId: '0123456789abcdef0123456789abcdef',
    region: 'cn-north-4',
    state: 'Queued',
    manifest: { kind: 'Notebook', metadata: { name } },
    file: `provisioning/${name}.yaml`,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}
