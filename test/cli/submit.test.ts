/**
 * `hwc-provisioner submit` against the real HTTP app (POST /requests) over a real socket, with the real dispatcher
 * and poller moving what it queued: several files become one request with every document, --wait follows it as
 * watch does, a rejection is reported at each file's own lines, and --dry-run queues nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, submitCommand } from '../../cli/submit';
import { notebook, serveApi, startHarness, type Harness } from '../execution/harness';

const TOKEN = 'submit-token-for-tests-0123456789abcdef';

describe('hwc-provisioner submit', () => {
  let h: Harness;
  let api: Awaited<ReturnType<typeof serveApi>>;
  let apiUrl: string;
  let dir: string;
  beforeAll(async () => {
    h = await startHarness();
    dir = mkdtempSync(join(tmpdir(), 'hwcp-submit-'));
    api = await serveApi(h, [{ caller: 'test', token: TOKEN, roles: ['submit'] }]);
    apiUrl = api.url;
  });
  afterAll(async () => {
    await api.close();
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: (l: string) => out.push(l), stderr: (l: string) => err.push(l), readStdin: async () => '' } };
  };
  const env = (token = TOKEN) => ({ HWCP_API_URL: apiUrl, HWCP_TOKEN: token });
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  /** Between looks the pipeline moves, as the deployed functions would; the request is the one submit printed. */
  const drivePrinted = (out: string[]) => async () => {
    const requestId = /req_[0-9a-z]+/.exec(out[0] ?? '')?.[0];
    if (requestId) await h.drive(requestId, { timeoutMs: 1_000 }).catch(() => undefined);
  };

  it('sends several files as one request keeping every document, prints it, and with --wait follows it to success', async () => {
    const a = file('a.yaml', `${notebook('sub-a1')}---\n${notebook('sub-a2')}`);
    const b = file('b.yaml', notebook('sub-b'));
    const { out, io } = capture();
    const code = await submitCommand([a, b, '--wait', '--interval', '0.1'], io, env(), { sleep: drivePrinted(out) });
    expect(code).toBe(0);
    const requestId = /^request (req_[0-9a-z]+) accepted: 3 resources$/.exec(out[0]!)?.[1];
    expect(requestId).toBeDefined();
    expect(out.slice(1, 4)).toEqual(['Notebook/nb-sub-a1  Queued', 'Notebook/nb-sub-a2  Queued', 'Notebook/nb-sub-b  Queued']);
    expect(out[4]).toBe(`follow: ${apiUrl}/requests/${requestId}`);
    expect(out[5]).toBe(`page:   ${apiUrl}/ui/requests/${requestId}`);
    // Following starts from what the 202 said: Queued is not said twice.
    const followed = out.slice(6);
    expect(followed.filter((l) => l.endsWith('Queued'))).toEqual([]);
    for (const name of ['sub-a1', 'sub-a2', 'sub-b'])
      expect(followed).toContainEqual(expect.stringMatching(`^Notebook/nb-${name} {2}Succeeded id=`));
    expect(out.at(-1)).toBe(`request ${requestId}: Succeeded`);
    const found = await h.request(requestId!);
    expect(found?.resources.map((r) => [r.name, r.file]).sort()).toEqual([
      ['nb-sub-a1', 'request'],
      ['nb-sub-a2', 'request'],
      ['nb-sub-b', 'request'],
    ]);
  });

  it('with --format json prints the acceptance, one line per change, then the request; exit 1 when one failed', async () => {
    const path = file(
      'fail.yaml',
      notebook('sub-fail', (doc) => (doc.spec.body.flavor = 'modelarts.vm.cpu.sim-fail')),
    );
    const { out, io } = capture();
    const code = await submitCommand([path, '--wait', '--format', 'json'], io, env(), { sleep: drivePrinted(out) });
    expect(code).toBe(1);
    const lines = out.map((l) => JSON.parse(l));
    const requestId = lines[0].requestId as string;
    expect(lines[0]).toMatchObject({
      location: `${apiUrl}/requests/${requestId}`,
      page: `${apiUrl}/ui/requests/${requestId}`,
      resources: [{ kind: 'Notebook', name: 'nb-sub-fail', state: 'Queued' }],
    });
    expect(lines.at(-2)).toMatchObject({ requestId, kind: 'Notebook', name: 'nb-sub-fail', state: 'Failed' });
    expect(lines.at(-1)).toMatchObject({ requestId, state: 'Failed', resources: [{ state: 'Failed' }] });
    expect(lines.slice(1, -1).every((l) => l.requestId === requestId && typeof l.kind === 'string')).toBe(true);
  });

  it('reports a 422 at each rejected file line, naming the files rather than the body, and exits 1', async () => {
    const good = notebook('sub-dup');
    const a = file('first.yaml', `# leading comment\n${good}`);
    const other = notebook('sub-dup', (doc) => (doc.spec.body.description = 'other'));
    const second = `${notebook('sub-ok')}---\n${other}---\n${notebook('Bad_Name')}`;
    const b = file('second.yaml', second);
    const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
    const { out, err, io } = capture();
    expect(await submitCommand([a, b], io, env())).toBe(1);
    expect(out).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${b}:${lineOf(second, 'name: nb-sub-dup')}:\\d+ metadata.name: Notebook/nb-sub-dup is declared twice .*` +
            `first in ${a}:${lineOf(`# leading comment\n${good}`, 'name: nb-sub-dup')}:\\d+\\)$`,
        ),
      ),
      expect.stringMatching(new RegExp(`^${b}:${lineOf(second, 'name: nb-Bad_Name')}:\\d+ metadata.name: `)),
    ]);
    expect(err).toEqual([expect.stringMatching(/^hwc-provisioner: the request was rejected: no resource was queued \(request req_/)]);

    const json = capture();
    expect(await submitCommand([a, b, '--format', 'json'], json.io, env())).toBe(1);
    const body = JSON.parse(json.out[0]!);
    expect(body.error.code).toBe('MANIFEST_INVALID');
    expect(body.error.details.documents.map((d: { file: string; index: number }) => [d.file, d.index])).toEqual([
      [b, 1],
      [b, 2],
    ]);
  });

  it('--dry-run says what would happen and queues nothing', async () => {
    const path = file('dry.yaml', notebook('sub-dry'));
    const { out, err, io } = capture();
    expect(await submitCommand([path, '--dry-run'], io, env())).toBe(0);
    expect(out).toEqual([expect.stringMatching(/^Notebook\/nb-sub-dry {2}create/)]);
    expect(err).toEqual(['dry run: 1 resource, nothing queued']);
    const json = capture();
    expect(await submitCommand([path, '--dry-run', '--format', 'json'], json.io, env())).toBe(0);
    expect(JSON.parse(json.out[0]!)).toMatchObject({
      dryRun: true,
      resources: [{ kind: 'Notebook', name: 'nb-sub-dry', verdict: 'create' }],
    });
    await expect(submitCommand([path, '--dry-run', '--wait'], capture().io, env())).rejects.toThrow('--dry-run queues nothing');
  });

  it('--idempotency-key answers a retry with the first request, and refuses the key with other files', async () => {
    const path = file('idem.yaml', notebook('sub-idem'));
    const first = capture();
    expect(await submitCommand([path, '--idempotency-key', 'deploy-42'], first.io, env())).toBe(0);
    const again = capture();
    expect(await submitCommand([path, '--idempotency-key', 'deploy-42'], again.io, env())).toBe(0);
    expect(again.out[0]).toBe(first.out[0]);
    const other = file('other.yaml', notebook('sub-other'));
    await expect(submitCommand([other, '--idempotency-key', 'deploy-42'], capture().io, env())).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/answered 409 IDEMPOTENCY_KEY_REUSED: this Idempotency-Key was already used/),
    });
  });

  it('names a file it cannot read, and says what is missing or refused', async () => {
    const path = file('ok.yaml', notebook('sub-x'));
    const missing = join(dir, 'missing.yaml');
    await expect(submitCommand([path, missing], capture().io, env())).rejects.toMatchObject({
      exitCode: 2,
      message: `cannot read ${missing}: ENOENT`,
    });
    await expect(submitCommand([], capture().io, env())).rejects.toThrow('at least one file');
    const empty = file('empty.yaml', '# nothing yet\n---\n');
    await expect(submitCommand([empty], capture().io, env())).rejects.toMatchObject({
      exitCode: 2,
      message: `no manifest found in ${empty}`,
    });
    await expect(submitCommand([path], capture().io, {})).rejects.toThrow('HWCP_API_URL');
    await expect(submitCommand([path], capture().io, env('not-the-token-0123456789abcdefghij'))).rejects.toMatchObject({
      exitCode: 2,
      message: 'the API refused HWCP_TOKEN',
    });
  });
});

describe('bodyOf', () => {
  it('sends one JSON file as JSON, and several files as one YAML stream with a separator between files', () => {
    expect(bodyOf([{ file: 'a.json', text: '[{"a":1}]' }]).contentType).toBe('application/json');
    const body = bodyOf([
      { file: 'a.yaml', text: 'a: 1\n---\nb: 2' },
      { file: 'b.yaml', text: '---\nc: 3\n' },
    ]);
    expect(body.contentType).toBe('application/yaml');
    expect(body.text).toBe('a: 1\n---\nb: 2\n---\n---\nc: 3\n');
    expect(body.parts.map((p) => [p.file, p.firstLine, p.documents])).toEqual([
      ['a.yaml', 1, 2],
      ['b.yaml', 5, 1],
    ]);
  });
});
