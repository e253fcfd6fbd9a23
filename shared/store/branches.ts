/**
 * Tracked branches: per (provider, repository, branch), the commit intake last reconciled and the commit ranges a
 * resync asked for, so a push whose webhook was lost is found (shared/intake/resync.ts) and its late delivery is
 * recognised.
 *
 * All branch items share one partition (`BRANCHES`) so the resync lists them with one Query; a tracked branch
 * changes a few times an hour at most, far below what one partition takes.
 */
import { createHash } from 'node:crypto';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, type TableRef } from './requests';

export type BranchProvider = 'github' | 'gitlab';

/** What one resync request covered: the commits `before..after` (after included), bounded by MAX_COVERED_COMMITS. */
export interface CoveredRange {
  requestId: string;
  before: string;
  after: string;
  commits: string[];
}

export interface BranchRecord {
  provider: BranchProvider;
  /** owner/name (GitHub) or group/project (GitLab). */
  repository: string;
  branch: string;
  /** GitHub's repository id or GitLab's project id: part of every push's request id. Learned by the resync for GitHub. */
  repositoryId?: number;
  /** The last reconciled commit; absent until a push of the branch was handled. */
  commit?: string;
  /** The request of the push that reconciled `commit`. */
  requestId?: string;
  reconciledAt?: string;
  /** Bumped by every write: the resync's claim is conditioned on it, so it never overwrites what it did not read. */
  sequence: number;
  /** Newest last. */
  covered: CoveredRange[];
}

/** Commits kept across all covered ranges of a branch: the newest ones, about 25 KB of item. */
export const MAX_COVERED_COMMITS = 500;

const PARTITION = 'BRANCHES';
// Repository names hold no '#', so the first two separate the parts whatever the branch name holds.
/**
 * A sort key holds at most 1,024 bytes, and a branch name alone may be that long (git allows it): a long identity
 * is keyed by its digest. The item keeps the names themselves, so nothing reads the key back.
 */
const MAX_READABLE_KEY_BYTES = 512;
const branchKey = (provider: string, repository: string, branch: string) => {
  const identity = `${provider}#${repository}#${branch}`;
  const sk =
    Buffer.byteLength(identity) <= MAX_READABLE_KEY_BYTES
      ? identity
      : `${provider}#sha256:${createHash('sha256').update(identity).digest('hex')}`;
  return { pk: PARTITION, sk };
};

function recordOf(item: Record<string, unknown>): BranchRecord {
  const { pk: _pk, sk: _sk, ...rest } = item;
  const record = rest as Partial<BranchRecord> & Pick<BranchRecord, 'provider' | 'repository' | 'branch'>;
  return { ...record, sequence: record.sequence ?? 0, covered: record.covered ?? [] };
}

export async function getBranch(
  table: TableRef,
  provider: BranchProvider,
  repository: string,
  branch: string,
): Promise<BranchRecord | undefined> {
  const result = await table.ddb.send(
    new GetCommand({ TableName: table.tableName, Key: branchKey(provider, repository, branch), ConsistentRead: true }),
  );
  return result.Item ? recordOf(result.Item) : undefined;
}

export async function listBranches(table: TableRef): Promise<BranchRecord[]> {
  const records: BranchRecord[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await table.ddb.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': PARTITION },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) records.push(recordOf(item));
    start = page.LastEvaluatedKey;
  } while (start);
  return records;
}

export interface ReconciledPush {
  provider: BranchProvider;
  repository: string;
  branch: string;
  repositoryId?: number;
  before: string;
  after: string;
  requestId: string;
}

/**
 * Moves the branch to `after` when the push continues what was reconciled: the stored commit is the push's
 * `before`, or nothing was stored yet. Anything else leaves the item alone: a late or redelivered older push
 * (its `before` is behind), and a push after a gap (its `before` is a commit whose push was lost), which must not
 * hide the gap from the resync. Returns whether it moved.
 */
export async function recordReconciled(table: TableRef, push: ReconciledPush, now: Date): Promise<boolean> {
  try {
    await table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: branchKey(push.provider, push.repository, push.branch),
        UpdateExpression:
          'SET provider = :provider, repository = :repository, branch = :branch, #commit = :after, requestId = :requestId, ' +
          'reconciledAt = :now, #sequence = if_not_exists(#sequence, :zero) + :one' +
          (push.repositoryId !== undefined ? ', repositoryId = :repositoryId' : ''),
        ConditionExpression: 'attribute_not_exists(#commit) OR #commit = :before',
        ExpressionAttributeNames: { '#commit': 'commit', '#sequence': 'sequence' },
        ExpressionAttributeValues: {
          ':provider': push.provider,
          ':repository': push.repository,
          ':branch': push.branch,
          ':after': push.after,
          ':before': push.before,
          ':requestId': push.requestId,
          ':now': now.toISOString(),
          ':zero': 0,
          ':one': 1,
          ...(push.repositoryId !== undefined ? { ':repositoryId': push.repositoryId } : {}),
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Records that a resync request covers `range`, before that request is queued, provided the item is still as the
 * resync read it (`read`, or no item at all). The newest MAX_COVERED_COMMITS commits are kept. Returns whether it
 * was recorded; false means intake moved the branch meanwhile, and the next tick looks again.
 */
export async function claimRange(
  table: TableRef,
  branch: Pick<BranchRecord, 'provider' | 'repository' | 'branch'>,
  read: BranchRecord | undefined,
  range: CoveredRange,
  repositoryId: number,
): Promise<boolean> {
  const covered = [...(read?.covered ?? []).filter((r) => r.requestId !== range.requestId), range];
  let total = covered.reduce((sum, r) => sum + r.commits.length, 0);
  while (total > MAX_COVERED_COMMITS && covered.length > 1) total -= covered.shift()!.commits.length;
  if (total > MAX_COVERED_COMMITS) covered[0] = { ...covered[0]!, commits: covered[0]!.commits.slice(-MAX_COVERED_COMMITS) };
  try {
    await table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: branchKey(branch.provider, branch.repository, branch.branch),
        UpdateExpression:
          'SET provider = :provider, repository = :repository, branch = :branch, repositoryId = :repositoryId, ' +
          'covered = :covered, #sequence = :next',
        ConditionExpression: read ? '#sequence = :sequence' : 'attribute_not_exists(pk)',
        ExpressionAttributeNames: { '#sequence': 'sequence' },
        ExpressionAttributeValues: {
          ':provider': branch.provider,
          ':repository': branch.repository,
          ':branch': branch.branch,
          ':repositoryId': repositoryId,
          ':covered': covered,
          ':next': (read?.sequence ?? 0) + 1,
          ...(read ? { ':sequence': read.sequence } : {}),
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * The resync request that already covers a push to `after`, when that is another request than the push's own: the
 * push is then answered as a duplicate of it. A resync request's own job, and a redelivered push, are not covered.
 */
export function coveringRequest(record: BranchRecord, requestId: string, after: string): string | undefined {
  for (let i = record.covered.length - 1; i >= 0; i--) {
    const range = record.covered[i]!;
    if (range.requestId !== requestId && range.commits.includes(after)) return range.requestId;
  }
  return undefined;
}
