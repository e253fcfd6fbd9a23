/**
 * Two deliveries of one dispatch message can overlap (the pool queues its dependents as the poller re-queues
 * them, and SQS delivers at least once). The later one may have read the resource before the earlier one
 * recorded its create intent; when that create's answer was lost, the later one must still look up before
 * creating. Found by the duplicates test (seed 13 under CI load made a second notebook); reproduced here
 * deterministically.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchResource, type ReconcileDeps } from '../../shared/reconcile/dispatch';
import { resourceKey } from '../../shared/store/requests';
import { notebook, startHarness, type Harness } from './harness';

describe('a delivery that read the resource before another attempt took it', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('looks up the notebook whose create answer was lost instead of creating a second one', async () => {
    const requestId = await h.submitYaml(notebook('stale1'));
    await h.stack.drainQueue(h.stack.queues.dispatch.url, { count: 1 });
    const message = { requestId, kind: 'Notebook' as const, name: 'nb-stale1' };
    const key = { TableName: h.deps.table.tableName, Key: resourceKey(requestId, 'Notebook', 'nb-stale1'), ConsistentRead: true };
    // What the later delivery read: the resource still Queued, before the earlier one's intent.
    const before = await h.stack.ddb.send(new GetCommand(key));
    expect(before.Item).toMatchObject({ state: 'Queued' });

    // The earlier delivery: intent, create committed in Huawei Cloud, answer lost.
    await h.faults({ rateDrop: 1, seed: 1 });
    await expect(dispatchResource(h.deps, message, { receiveCount: 1 })).rejects.toThrow(/outcome unknown/);
    await h.faults({ rateDrop: 0, seed: 1 });
    expect((await h.simResources()).filter((r) => r.name === 'nb_stale1')).toHaveLength(1);

    // The later delivery resumes from its stale read. The interleaving is the only thing staged: its first
    // GetItem answers with that read; everything after it talks to DynamoDB Local as usual.
    let staged = false;
    const ddb = {
      send: (command: { constructor: { name: string } }) => {
        if (!staged && command.constructor.name === 'GetCommand') {
          staged = true;
          return Promise.resolve(before);
        }
        return h.deps.table.ddb.send(command as never);
      },
    } as unknown as ReconcileDeps['table']['ddb'];
    const later: ReconcileDeps = { ...h.deps, table: { ...h.deps.table, ddb } };
    expect(await dispatchResource(later, message, { receiveCount: 2 })).toBe('adopted');
    expect((await h.simResources()).filter((r) => r.name === 'nb_stale1')).toHaveLength(1);
  });
});
