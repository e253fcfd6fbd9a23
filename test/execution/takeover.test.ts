import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { managedKey } from '../../shared/store/managed';
import { notebook, PROJECT_ID, startHarness, type Harness } from './harness';

/**
 * A request can end Failed while a create it sent is still unaccounted for (the dispatch deadline or the
 * retry limit hit after an unknown outcome). Its identity is then Failed and a later request may take it over;
 * notebook names may repeat in Huawei Cloud, so that request must look for the earlier one before creating.
 */
describe('taking over an identity left Failed', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  async function failIdentity(name: string) {
    await h.deps.table.ddb.send(
      new UpdateCommand({
        TableName: h.deps.table.tableName,
        Key: managedKey(PROJECT_ID, 'Notebook', name),
        UpdateExpression: 'SET #state = :failed',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':failed': 'Failed' },
      }),
    );
  }
  const named = async (huaweiName: string) => (await h.simResources()).filter((r) => r.kind === 'Notebook' && r.name === huaweiName);

  it('adopts the notebook the failed request created instead of creating a second one', async () => {
    const first = await h.submitYaml(notebook('tk1'));
    await h.drive(first);
    const created = await named('nb_tk1');
    expect(created).toHaveLength(1);
    // As if the first request had ended DispatchDeadlineExceeded while its create's outcome was unknown.
    await failIdentity('nb-tk1');

    const second = await h.submitYaml(notebook('tk1'));
    await h.drive(second);
    const resource = (await h.request(second))!.resources[0]!;
    expect(resource.state).toBe('Succeeded');
    expect(resource.huaweiId).toBe(created[0]!.id);
    expect(await named('nb_tk1')).toHaveLength(1);
  });

  it('creates anew when what it finds has failed in Huawei Cloud', async () => {
    // sim-fail in the flavor makes the simulator fail the notebook after creating it.
    const failing = notebook('tk2', (doc) => {
      doc.spec.body.flavor = 'modelarts.vm.cpu.sim-fail';
    });
    const first = await h.submitYaml(failing);
    await h.drive(first);
    expect((await h.request(first))!.resources[0]!.state).toBe('Failed');
    expect(await named('nb_tk2')).toHaveLength(1);

    const second = await h.submitYaml(failing);
    await h.drive(second);
    // A retry after a real failure is a new attempt: the failed notebook is not adopted.
    expect(await named('nb_tk2')).toHaveLength(2);
  });
});
