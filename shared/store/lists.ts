/**
 * What people list: requests newest first and managed resources by kind and name, each a page of the sparse
 * list index (schema.ts RECENT_INDEX). A page reads a bounded number of index items whatever the table holds;
 * filters are applied to what was read, so a filtered page may come back short, with a cursor to go on.
 */
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { MANAGED_LIST, REQUEST_LIST } from './keys';
import type { TableRef } from './requests';
import { RECENT_INDEX } from './schema';
import type { ManagedResource, Provider, RequestRecord, RequestState } from './types';

/** A request as a list shows it: no resources are read, the request item says where it stands. */
export interface RequestListItem {
  requestId: string;
  state: RequestState;
  source: RequestRecord['source'];
  resourceCount: number;
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
  approval?: RequestRecord['approval'];
}

export interface RequestListFilter {
  provider?: Provider;
  state?: RequestState;
  /**
   * Visibility: when any of these is given, a request is listed if it matches one of them: an API caller's own
   * requests (source.caller), requests asked by one of these identities (source.user, e.g. github:octocat), or
   * requests that asked for an approval.
   */
  caller?: string;
  users?: readonly string[];
  approvals?: boolean;
}

export interface ManagedListFilter {
  kind?: string;
  owner?: string;
}

export interface Page {
  limit: number;
  cursor?: string;
}

/** A cursor that is not one this module wrote: the caller answers 400 with the message. */
export class InvalidCursorError extends Error {
  readonly code = 'INVALID_CURSOR';
  constructor() {
    super('cursor is not one a previous page returned');
    this.name = 'InvalidCursorError';
  }
}

/** At most this many index reads for one page: a sparse filter costs more reads, never an unbounded walk. */
const MAX_READS_PER_PAGE = 4;
const MAX_USERS = 10;

/** The request's state from its own item: an ending is recorded with completedAt (store/requests.ts markCompleted). */
function requestState(item: Record<string, unknown>): RequestState {
  const phase = item.phase as RequestRecord['phase'];
  if (phase === 'Rejected' || phase === 'PendingApproval' || phase === 'Expired') return phase;
  return (item.outcome as RequestState | undefined) ?? 'InProgress';
}

function requestFilter(filter: RequestListFilter) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const clauses: string[] = [];
  if (filter.provider) {
    names['#source'] = 'source';
    names['#provider'] = 'provider';
    values[':provider'] = filter.provider;
    clauses.push('#source.#provider = :provider');
  }
  if (filter.state) {
    const state = filter.state;
    if (state !== 'Succeeded' && state !== 'PartiallyFailed' && state !== 'Failed') names['#phase'] = 'phase';
    if (state === 'Rejected' || state === 'PendingApproval' || state === 'Expired') {
      values[':phase'] = state;
      clauses.push('#phase = :phase');
    } else if (state === 'InProgress') {
      values[':recording'] = 'Recording';
      values[':accepted'] = 'Accepted';
      clauses.push('#phase IN (:recording, :accepted) AND attribute_not_exists(outcome)');
    } else {
      values[':outcome'] = state;
      clauses.push('outcome = :outcome');
    }
  }
  const visible: string[] = [];
  if (filter.caller !== undefined) {
    names['#source'] = 'source';
    names['#provider'] = 'provider';
    names['#caller'] = 'caller';
    values[':api'] = 'api';
    values[':caller'] = filter.caller;
    visible.push('#source.#provider = :api AND #source.#caller = :caller');
  }
  if (filter.users && filter.users.length > 0) {
    names['#source'] = 'source';
    names['#user'] = 'user';
    const users = filter.users.slice(0, MAX_USERS).map((user, i) => {
      values[`:user${i}`] = user;
      return `:user${i}`;
    });
    visible.push(`#source.#user IN (${users.join(', ')})`);
  }
  if (filter.approvals) visible.push('attribute_exists(approval)');
  // DynamoDB refuses redundant parentheses: only an OR of several needs them, and an AND inside it.
  if (visible.length === 1) clauses.push(visible[0]!);
  else if (visible.length > 1) {
    const either = visible.map((v) => (v.includes(' AND ') ? `(${v})` : v)).join(' OR ');
    clauses.push(clauses.length > 0 ? `(${either})` : either);
  }
  return { names, values, expression: clauses.join(' AND ') };
}

function encodeCursor(item: Record<string, unknown>): string {
  const key = { listPk: item.listPk, listSk: item.listSk, pk: item.pk, sk: item.sk };
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string, partition: string): Record<string, string> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  const fields = ['listPk', 'listSk', 'pk', 'sk'] as const;
  if (
    typeof key !== 'object' ||
    key === null ||
    Object.keys(key).length !== fields.length ||
    !fields.every(
      (f) => typeof (key as Record<string, unknown>)[f] === 'string' && ((key as Record<string, string>)[f]?.length ?? 0) <= 1024,
    ) ||
    (key as Record<string, string>).listPk !== partition
  )
    throw new InvalidCursorError();
  return key as Record<string, string>;
}

/**
 * Up to `limit` items of one partition of the list index, in index order, after the cursor. Reads at most
 * MAX_READS_PER_PAGE index pages of `limit` items; the cursor returned is the last item returned (or read, when
 * a filter kept none), so the next page starts right after it.
 */
async function queryList(
  table: TableRef,
  partition: string,
  page: Page,
  options: {
    newestFirst: boolean;
    prefix?: string;
    filter?: { names: Record<string, string>; values: Record<string, unknown>; expression: string };
  },
): Promise<{ items: Record<string, unknown>[]; cursor?: string; read: number }> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined = page.cursor ? decodeCursor(page.cursor, partition) : undefined;
  let read = 0;
  let lastRead: Record<string, unknown> | undefined;
  for (let reads = 0; reads < MAX_READS_PER_PAGE && items.length < page.limit; reads++) {
    const input: QueryCommandInput = {
      TableName: table.tableName,
      IndexName: RECENT_INDEX.name,
      KeyConditionExpression: options.prefix ? '#lpk = :lpk AND begins_with(#lsk, :prefix)' : '#lpk = :lpk',
      ExpressionAttributeNames: {
        '#lpk': RECENT_INDEX.pk,
        ...(options.prefix ? { '#lsk': RECENT_INDEX.sk } : {}),
        ...options.filter?.names,
      },
      ExpressionAttributeValues: { ':lpk': partition, ...(options.prefix ? { ':prefix': options.prefix } : {}), ...options.filter?.values },
      ...(options.filter?.expression ? { FilterExpression: options.filter.expression } : {}),
      ScanIndexForward: !options.newestFirst,
      Limit: page.limit,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    };
    const result = await table.ddb.send(new QueryCommand(input));
    read += result.ScannedCount ?? 0;
    for (const item of result.Items ?? []) if (items.length < page.limit) items.push(item);
    startKey = result.LastEvaluatedKey;
    if (startKey) lastRead = startKey;
    if (!startKey) break;
  }
  const full = items.length === page.limit;
  // More may follow when the index said so, or when the page filled up before the index ran out.
  const last = full ? items[items.length - 1] : startKey ? lastRead : undefined;
  return { items, read, ...(last ? { cursor: encodeCursor(last) } : {}) };
}

export async function listRequests(
  table: TableRef,
  filter: RequestListFilter,
  page: Page,
): Promise<{ items: RequestListItem[]; cursor?: string; read: number }> {
  const built = requestFilter(filter);
  const result = await queryList(table, REQUEST_LIST, page, { newestFirst: true, ...(built.expression ? { filter: built } : {}) });
  const items = result.items.map((item) => ({
    requestId: item.requestId as string,
    state: requestState(item),
    source: item.source as RequestRecord['source'],
    resourceCount: item.resourceCount as number,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
    ...(typeof item.completedAt === 'string' ? { completedAt: item.completedAt } : {}),
    ...(item.approval ? { approval: item.approval as RequestRecord['approval'] } : {}),
  }));
  return { ...result, items };
}

/** Managed resources by kind then name (Deleted and Orphaned ones included: they say what became of them). */
export async function listManaged(
  table: TableRef,
  filter: ManagedListFilter,
  page: Page,
): Promise<{
  items: Omit<ManagedResource, 'desired' | 'specHash' | 'previousDesired' | 'requestIds' | 'dependents'>[];
  cursor?: string;
  read: number;
}> {
  const owner = filter.owner
    ? { names: { '#owner': 'owner' }, values: { ':owner': filter.owner }, expression: '#owner = :owner' }
    : undefined;
  const result = await queryList(table, MANAGED_LIST, page, {
    newestFirst: false,
    ...(filter.kind ? { prefix: `${filter.kind}#` } : {}),
    ...(owner ? { filter: owner } : {}),
  });
  const items = result.items.map((item) => {
    const { pk: _pk, sk: _sk, listPk: _lp, listSk: _ls, type: _type, ...rest } = item;
    return rest as unknown as ManagedResource;
  });
  return { ...result, items };
}
