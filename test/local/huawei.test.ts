/**
 * `npm run local:huawei`: signed calls to the simulator as another tool would make them, to change a resource
 * behind hwc-provisioner's back: a flavor change the console's way (stop, update, start), a delete, and usage errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, SIMULATOR_DEFAULTS, type RunningSimulator } from '../../local/huaweicloud-simulator/index';
import { HuaweiUsageError, runHuaweiCommand } from '../../local/huawei';

describe('local:huawei', () => {
  let simulator: RunningSimulator;
  beforeAll(async () => {
    simulator = await startSimulator({ port: 0, projectId: SIMULATOR_DEFAULTS.projectId });
  });
  afterAll(() => simulator.close());

  const run = async (...argv: string[]) => {
    const lines: string[] = [];
    await runHuaweiCommand(['--endpoint', simulator.url, ...argv], {}, { print: (line) => lines.push(line) });
    return lines;
  };

  it('creates, changes a flavor the way the console does, and deletes, each call signed', async () => {
    const body = {
      name: 'nb_tool',
      description: 'made by another tool',
      flavor: 'modelarts.vm.cpu.2u',
      image: { id: 'e1a07296-22a8-4f05-8bc8-e936c8e54090' },
      volume: { category: 'EFS', ownership: 'MANAGED', capacity: 50 },
    };
    const [created] = await run('POST', '/v1/{project}/notebooks', JSON.stringify(body));
    expect(created).toMatch(/^POST \/v1\/0a1b2c3d4e5f60718293a4b5c6d7e8f9\/notebooks → 20\d /);
    const id = /"id":"([^"]+)"/.exec(created!)![1]!;
    // Ready first: a flavor changes from RUNNING by stop, update, start.
    for (let i = 0; i < 20; i++) {
      const [seen] = await run('GET', `/v1/{project}/notebooks/${id}`);
      if (seen!.includes('"status":"RUNNING"')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const lines = await run('notebook-flavor', id, 'modelarts.vm.cpu.8u');
    expect(lines[0]).toMatch(/^POST .*\/stop → 200/);
    expect(lines.find((l) => l.startsWith('PUT'))).toContain('"flavor":"modelarts.vm.cpu.8u"');
    expect(lines.at(-1)).toMatch(/^POST .*\/start → 200/);
    const [deleted] = await run('DELETE', `/v1/{project}/notebooks/${id}`);
    expect(deleted).toMatch(/^DELETE .* → 20\d/);
  });

  it('refuses what it cannot send, saying why', async () => {
    await expect(run('FETCH', '/v1/x')).rejects.toBeInstanceOf(HuaweiUsageError);
    await expect(run('PUT', 'v1/x')).rejects.toThrow('a path starting with / is required');
    await expect(run('PUT', '/v1/x', '{not json')).rejects.toThrow('the body must be JSON');
    await expect(runHuaweiCommand(['GET', '/v1/x'], {}, { print: () => undefined })).rejects.toThrow('which simulator?');
  });
});
