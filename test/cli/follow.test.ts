/**
 * `hwc-provisioner status` and `watch` against the real HTTP app (GET /requests/{id}) over a real socket, with the
 * real dispatcher and poller moving the request: watch prints each change once, ends when every resource is
 * terminal, and exits 0 when all succeeded, 1 when one failed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followCommand } from '../../cli/follow';
import { notebook, serveApi, startHarness, type Harness } from '../execution/harness';

const TOKEN = 'watch-token-for-tests-0123456789abcdef';

describe('status and watch', () => {
  let h: Harness;
  let api: Awaited<ReturnType<typeof serveApi>>;
  let apiUrl: string;
  beforeAll(async () => {
    h = await startHarness();
    api = await serveApi(h, [{ caller: 'test', token: TOKEN, roles: ['submit', 'read-all'] }], { defaults: { region: 'cn-north-4' } });
    apiUrl = api.url;
  });
  afterAll(async () => {
    await api.close();
    await h.close();
  });

  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: (l: string) => out.push(l), stderr: (l: string) => err.push(l), readStdin: async () => '' } };
  };
  const env = () => ({ HWCP_API_URL: apiUrl, HWCP_TOKEN: TOKEN });
  /** Between looks the pipeline moves: one dispatch round and one poll tick, as the deployed functions would. */
  const driveBetweenLooks = (requestId: string) => async () => {
    await h.drive(requestId, { timeoutMs: 1_000 }).catch(() => undefined);
  };

  it('watches a request to the end, printing each change once, and exits 0 when every resource succeeded', async () => {
    const requestId = await h.submitYaml(notebook('watch1'));
    const { out, io: cliIo } = io();
    const code = await followCommand('watch', [requestId, '--interval', '0.1'], cliIo, env(), { sleep: driveBetweenLooks(requestId) });
    expect(code).toBe(0);
    expect(out[0]).toMatch(/^Notebook\/nb-watch1 {2}Queued/);
    expect(out.at(-2)).toMatch(/^Notebook\/nb-watch1 {2}Succeeded id=/);
    expect(out.at(-1)).toBe(`request ${requestId}: Succeeded`);
    expect(new Set(out).size).toBe(out.length);
  });

  it('exits 1 when a resource failed, and status answers once', async () => {
    const requestId = await h.submitYaml(notebook('watch2', (doc) => (doc.spec.body.flavor = 'modelarts.vm.cpu.sim-fail')));
    const { out, io: cliIo } = io();
    expect(await followCommand('watch', [requestId, '--interval', '0.1'], cliIo, env(), { sleep: driveBetweenLooks(requestId) })).toBe(1);
    expect(out.at(-1)).toBe(`request ${requestId}: Failed`);
    const again = io();
    expect(await followCommand('status', [requestId, '--format', 'json'], again.io, env())).toBe(1);
    expect(JSON.parse(again.out[0]!)).toMatchObject({ requestId, state: 'Failed', resources: [{ state: 'Failed' }] });
  });

  it('watch --format json prints one line per change, then the request as status prints it', async () => {
    const requestId = await h.submitYaml(notebook('watch3'));
    const { out, io: cliIo } = io();
    const sleep = driveBetweenLooks(requestId);
    expect(await followCommand('watch', [requestId, '--format', 'json', '--interval', '0.1'], cliIo, env(), { sleep })).toBe(0);
    const lines = out.map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ requestId, kind: 'Notebook', name: 'nb-watch3', state: 'Queued' });
    expect(lines.at(-2)).toMatchObject({ requestId, kind: 'Notebook', name: 'nb-watch3', state: 'Succeeded' });
    expect(lines.slice(0, -1).map((l) => l.state)).toEqual([...new Set(lines.slice(0, -1).map((l) => l.state))]);
    const status = io();
    expect(await followCommand('status', [requestId, '--format', 'json'], status.io, env())).toBe(0);
    expect(lines.at(-1)).toEqual(JSON.parse(status.out[0]!));
  });

  it('says what is missing: the API, the token, the request', async () => {
    const { io: cliIo } = io();
    await expect(followCommand('status', ['req_x'], cliIo, {})).rejects.toThrow('HWCP_API_URL');
    await expect(followCommand('status', ['req_x'], cliIo, { HWCP_API_URL: apiUrl })).rejects.toThrow('HWCP_TOKEN');
    await expect(followCommand('status', ['req_00000000000000000000000000'], cliIo, env())).rejects.toThrow('no request');
    await expect(followCommand('watch', [], cliIo, env())).rejects.toThrow('one request id');
  });
});
