/**
 * The list index against DynamoDB Local: requests newest first with their state from the request item alone,
 * filters and visibility, cursors that go on where the page ended, and a page's reads bounded whatever the
 * table holds; managed resources by kind and name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcilingConditions } from '../../shared/reconcile/conditions';
import { InvalidCursorError, listManaged, listRequests } from '../../shared/store/lists';
import { claimManaged } from '../../shared/store/managed';
import { markCompleted, putRequestOnce, type TableRef } from '../../shared/store/requests';
import type { RequestRecord, RequestSource } from '../../shared/store/types';
import { useLocalResources, type LocalStack } from '../setup/stack';

const api = (caller: string): RequestSource => ({ provider: 'api', ref: `api:${caller}`, caller, user: `api:${caller}` });
const github = (login: string): RequestSource => ({
  provider: 'github',
  ref: 'acme/infra@abc',
  repository: 'acme/infra',
  commit: 'abc',
  user: `github:${login}`,
});

function request(n: number, source: RequestSource, extra: Partial<RequestRecord> = {}): RequestRecord {
  const at = new Date(Date.UTC(2026, 11, 1, 0, 0, n)).toISOString();
  return {
    requestId: `req-${String(n).padStart(4, '0')}`,
    source,
    phase: 'Accepted',
    resourceCount: 1,
    createdAt: at,
    updatedAt: at,
    finishedCount: 0,
    ...extra,
  };
}

describe('listRequests', () => {
  let stack: LocalStack;
  let table: TableRef;
  beforeAll(async () => {
    stack = await useLocalResources();
    table = { ddb: stack.ddb, tableName: stack.tableName };
    for (let n = 1; n <= 30; n++) {
      const source = n % 3 === 0 ? github('octocat') : api(n % 2 === 0 ? 'alice' : 'bob');
      const extra: Partial<RequestRecord> =
        n === 5 ? { phase: 'Rejected' } : n === 7 ? { phase: 'PendingApproval', approval: approval() } : {};
      await putRequestOnce(table, request(n, source, extra));
    }
    await markCompleted(table, 'req-0010', {
      event: {},
      outcome: 'Succeeded',
      now: new Date().toISOString(),
      retryAt: new Date().toISOString(),
    });
    await markCompleted(table, 'req-0012', {
      event: {},
      outcome: 'Failed',
      now: new Date().toISOString(),
      retryAt: new Date().toISOString(),
    });
  });
  afterAll(async () => stack?.close());

  it('lists newest first, a page at a time, each page starting where the last one ended', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listRequests(table, {}, { limit: 7, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.items.map((r) => r.requestId));
      cursor = page.cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => `req-${String(30 - i).padStart(4, '0')}`));
  });

  it("gives each request's state from its own item", async () => {
    const { items } = await listRequests(table, {}, { limit: 100 });
    const state = (id: string) => items.find((r) => r.requestId === id)?.state;
    expect(state('req-0005')).toBe('Rejected');
    expect(state('req-0007')).toBe('PendingApproval');
    expect(state('req-0010')).toBe('Succeeded');
    expect(state('req-0012')).toBe('Failed');
    expect(state('req-0011')).toBe('InProgress');
  });

  it('filters by state and by source', async () => {
    const failed = await listRequests(table, { state: 'Failed' }, { limit: 25 });
    expect(failed.items.map((r) => r.requestId)).toEqual(['req-0012']);
    const inProgress = await listRequests(table, { state: 'InProgress' }, { limit: 100 });
    expect(inProgress.items).toHaveLength(26);
    const fromGithub = await listRequests(table, { provider: 'github' }, { limit: 100 });
    expect(fromGithub.items.map((r) => r.requestId)).toEqual(
      [30, 27, 24, 21, 18, 15, 12, 9, 6, 3].map((n) => `req-${String(n).padStart(4, '0')}`),
    );
  });

  it("shows a caller its own requests, an identity's requests, and an approver the ones held for approval", async () => {
    const own = await listRequests(table, { caller: 'bob' }, { limit: 100 });
    expect(own.items.every((r) => r.source.caller === 'bob')).toBe(true);
    expect(own.items).toHaveLength(10);
    const octocat = await listRequests(table, { users: ['github:octocat'] }, { limit: 100 });
    expect(octocat.items).toHaveLength(10);
    const approver = await listRequests(table, { caller: 'alice', approvals: true }, { limit: 100 });
    expect(approver.items.map((r) => r.requestId)).toContain('req-0007');
    expect(approver.items.every((r) => r.source.caller === 'alice' || r.approval)).toBe(true);
  });

  it('bounds what one page reads, and returns a cursor when a sparse filter came back short', async () => {
    const page = await listRequests(table, { state: 'Failed' }, { limit: 2 });
    // Four index reads of two items at most, not the whole partition.
    expect(page.read).toBeLessThanOrEqual(8);
    expect(page.items.length).toBeLessThanOrEqual(2);
    expect(page.cursor).toBeDefined();
  });

  it('refuses a cursor it did not write', async () => {
    await expect(listRequests(table, {}, { limit: 5, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
    const foreign = Buffer.from(JSON.stringify({ listPk: 'MANAGED', listSk: 'x', pk: 'x', sk: 'x' })).toString('base64url');
    await expect(listRequests(table, {}, { limit: 5, cursor: foreign })).rejects.toBeInstanceOf(InvalidCursorError);
  });
});

describe('listManaged', () => {
  let stack: LocalStack;
  let table: TableRef;
  beforeAll(async () => {
    stack = await useLocalResources();
    table = { ddb: stack.ddb, tableName: stack.tableName };
    const now = new Date().toISOString();
    for (const [kind, name, owner] of [
      ['Notebook', 'nb-b', 'github:acme/infra'],
      ['Notebook', 'nb-a', 'api:bob'],
      ['ResourcePool', 'pool-a', 'github:acme/infra'],
      ['NodePool', 'np-a', 'github:acme/infra'],
    ] as const) {
      await claimManaged(table, {
        projectId: 'p1',
        kind,
        name,
        region: 'cn-north-4',
        requestId: `req-${name}`,
        owner,
        source: { provider: 'api', ref: 'api:bob' },
        desired: { body: { secret: 'never listed' } },
        specHash: 'h',
        conditions: reconcilingConditions(now),
        now,
      });
    }
  });
  afterAll(async () => stack?.close());

  it('lists by kind then name, without the desired spec', async () => {
    const { items } = await listManaged(table, {}, { limit: 25 });
    expect(items.map((m) => `${m.kind}/${m.name}`)).toEqual(['NodePool/np-a', 'Notebook/nb-a', 'Notebook/nb-b', 'ResourcePool/pool-a']);
    expect(JSON.stringify(items)).not.toContain('never listed');
    expect(items[0]).toMatchObject({ owner: 'github:acme/infra', generation: 1, state: 'InFlight', requestId: 'req-np-a' });
  });

  it('filters by kind and by owner, and pages with a cursor', async () => {
    const notebooks = await listManaged(table, { kind: 'Notebook' }, { limit: 25 });
    expect(notebooks.items.map((m) => m.name)).toEqual(['nb-a', 'nb-b']);
    const mine = await listManaged(table, { owner: 'api:bob' }, { limit: 25 });
    expect(mine.items.map((m) => m.name)).toEqual(['nb-a']);
    const first = await listManaged(table, {}, { limit: 3 });
    const second = await listManaged(table, {}, { limit: 3, cursor: first.cursor! });
    expect(second.items.map((m) => m.name)).toEqual(['pool-a']);
  });
});

function approval(): RequestRecord['approval'] {
  const at = new Date().toISOString();
  return {
    state: 'Pending',
    rules: ['r'],
    reasons: ['why'],
    approvers: [],
    requestedBy: 'api:alice',
    requestedAt: at,
    expiresAt: at,
    history: [],
  };
}
