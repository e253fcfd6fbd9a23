/**
 * `hwc-provisioner resources` against the real HTTP app (GET /resources) over a real socket, listing what the real
 * dispatcher and poller made: a row per resource with its conditions, every page followed, --kind, --owner,
 * --limit, and the caller's scope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourcesCommand } from '../../cli/resources';
import { allKinds, notebook, PROJECT_ID, serveApi, startHarness, type Harness } from '../execution/harness';

const READER = 'resources-reader-token-0123456789abcdef';
const OTHER = 'resources-other-token-0123456789abcdefg';

interface View {
  kind: string;
  name: string;
  owner: string;
  state: string;
  huaweiId?: string;
  conditions: Record<'Ready' | 'Synced' | 'Healthy', { status: string }>;
}

describe('hwc-provisioner resources', () => {
  let h: Harness;
  let api: Awaited<ReturnType<typeof serveApi>>;
  let apiUrl: string;
  beforeAll(async () => {
    h = await startHarness();
    api = await serveApi(h, [
      { caller: 'reader', token: READER, roles: ['read-all'] },
      { caller: 'other', token: OTHER, roles: ['submit'] },
    ]);
    apiUrl = api.url;
    // Four kinds from one caller, and a notebook of another's.
    const mine = await h.submitYaml(allKinds('res'));
    await h.drive(mine);
    const theirs = await h.submitYaml(notebook('res-other'), { provider: 'api', ref: 'api:other', caller: 'other', user: 'api:other' });
    await h.drive(theirs);
  });
  afterAll(async () => {
    await api.close();
    await h.close();
  });

  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: (l: string) => out.push(l), stderr: (l: string) => err.push(l), readStdin: async () => '' } };
  };
  const env = (token = READER) => ({ HWCP_API_URL: apiUrl, HWCP_TOKEN: token });
  /** The whole list as the API gives it, for comparing the table with. */
  const listed = async (query = ''): Promise<View[]> => {
    const response = await fetch(`${apiUrl}/resources?limit=100${query}`, { headers: { authorization: `Bearer ${READER}` } });
    return ((await response.json()) as { resources: View[] }).resources;
  };

  it('prints a table row per resource: kind, name, project, owner, state, conditions, Huawei id, drift count', async () => {
    const { out, err, io } = capture();
    expect(await resourcesCommand([], io, env())).toBe(0);
    expect(out[0]!.split(/ {2,}/)).toEqual([
      'KIND',
      'NAME',
      'PROJECT',
      'OWNER',
      'STATE',
      'READY',
      'SYNCED',
      'HEALTHY',
      'HUAWEI ID',
      'DRIFT',
    ]);
    const views = await listed();
    expect(views).toHaveLength(5);
    const rows = out.slice(1).map((line) => line.split(/ {2,}/));
    expect(rows).toEqual(
      views.map((v) => [
        v.kind,
        v.name,
        PROJECT_ID,
        v.owner,
        v.state,
        v.conditions.Ready.status,
        v.conditions.Synced.status,
        v.conditions.Healthy.status,
        v.huaweiId,
        '0',
      ]),
    );
    expect(rows.map((r) => r.slice(0, 2).join('/'))).toContainEqual('Notebook/nb-res-other');
    expect(rows.every((r) => r[4] === 'Succeeded' && r[5] === 'True' && r[8] !== '-')).toBe(true);
    expect(rows.find((r) => r[1] === 'nb-res-other')?.[3]).toBe('api:other');
    expect(err).toEqual(['5 resources']);
    // Columns line up: every row's NAME starts where the header's does.
    const at = out[0]!.indexOf('NAME');
    expect(out.slice(1).every((line) => line.slice(at - 2, at) === '  ' && line[at] !== ' ')).toBe(true);
  });

  it('follows nextCursor through every page, and --limit stops early with the cursor to go on from', async () => {
    // Pages of two: the route's own cursors, followed to the end.
    const asked: string[] = [];
    const smallPages: typeof fetch = (input, init) => {
      const url = String(input).replace('limit=100', 'limit=2');
      asked.push(url);
      return fetch(url, init);
    };
    const { out, io } = capture();
    expect(await resourcesCommand(['--format', 'json'], io, env(), { fetch: smallPages })).toBe(0);
    expect(asked).toHaveLength(3);
    expect(asked.slice(1).every((url) => url.includes('cursor='))).toBe(true);
    const all = JSON.parse(out[0]!);
    expect(all.nextCursor).toBeUndefined();
    expect(all.resources).toEqual(await listed());

    const limited = capture();
    expect(await resourcesCommand(['--limit', '3', '--format', 'json'], limited.io, env())).toBe(0);
    const first = JSON.parse(limited.out[0]!);
    expect(first.resources).toEqual((await listed()).slice(0, 3));
    expect(first.nextCursor).toEqual(expect.any(String));
    const text = capture();
    expect(await resourcesCommand(['--limit', '2'], text.io, env())).toBe(0);
    expect(text.out).toHaveLength(3);
    expect(text.err).toEqual(['2 resources (--limit reached; more exist)']);
  });

  it('filters by --kind (any case) and --owner', async () => {
    const byKind = capture();
    expect(await resourcesCommand(['--kind', 'notebook', '--format', 'json'], byKind.io, env())).toBe(0);
    expect(
      JSON.parse(byKind.out[0]!)
        .resources.map((r: View) => r.name)
        .sort(),
    ).toEqual(['nb-res-other', 'train-notebook-res']);
    const byOwner = capture();
    expect(await resourcesCommand(['--owner', 'api:other'], byOwner.io, env())).toBe(0);
    expect(byOwner.out.slice(1).map((l) => l.split(/ {2,}/).slice(0, 2))).toEqual([['Notebook', 'nb-res-other']]);
  });

  it("lists only the caller's own without read-all, and says what is wrong", async () => {
    const own = capture();
    expect(await resourcesCommand([], own.io, env(OTHER))).toBe(0);
    expect(own.out.slice(1).map((l) => l.split(/ {2,}/)[1])).toEqual(['nb-res-other']);
    await expect(resourcesCommand(['--owner', 'api:test'], capture().io, env(OTHER))).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/^GET \/resources answered 403 FORBIDDEN: caller other may list only/),
    });
    await expect(resourcesCommand(['--kind', 'Bucket'], capture().io, env())).rejects.toThrow('unknown kind "Bucket"');
    await expect(resourcesCommand(['--limit', '0'], capture().io, env())).rejects.toThrow('--limit must be a whole number');
    await expect(resourcesCommand(['extra'], capture().io, env())).rejects.toMatchObject({ exitCode: 2 });
    await expect(resourcesCommand([], capture().io, env('not-a-token-0123456789abcdefghijkl'))).rejects.toThrow(
      'the API refused HWCP_TOKEN',
    );
  });
});
