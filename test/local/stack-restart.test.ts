/**
 * `npm start` twice on one state directory, as a developer restarts it: the table, the simulator's
 * resources and the made-up secrets all come back, so the printed curl still works and a resubmission is
 * Unchanged for resources that really exist. Then `--reset --realistic`. Runs on the test run's shared
 * emulators (so the table itself is not reset here; npm start keeps it in the state directory).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dlqCommand } from '../../cli/dlq';
import type { Io } from '../../cli/io';
import { findFreePort } from '../../local/emulators';
import { DURATION_PRESETS } from '../../local/huaweicloud-simulator/index';
import { banner, parseStartArgs, START_HELP, startStack, STATE_FILES, type RunningStack, type StackOptions } from '../../local/stack';
import { httpClient, notebookBody, PID } from '../simulator/helpers';

const ALL_KINDS = readFileSync('examples/all-kinds.yaml', 'utf8');
const TERMINAL = new Set(['Succeeded', 'Unchanged', 'Failed', 'TimedOut', 'Rejected']);
const SECRETS = ['API_TOKENS', 'GITHUB_WEBHOOK_SECRET', 'GITLAB_WEBHOOK_TOKEN', 'JIRA_WEBHOOK_SECRET', 'UI_SIGNING_KEY'];

interface View {
  resources: { kind: string; name: string; state: string; huaweiId: string | null }[];
}

/** The token of the banner's curl, the way a developer copies it. */
function curlToken(lines: string[]): string {
  const curl = lines.find((l) => l.trim().startsWith('curl -sS -X POST'))!;
  return /authorization: Bearer ([^']+)'/.exec(curl)![1]!;
}

async function submitAndWait(stack: RunningStack, token: string): Promise<View> {
  const posted = await fetch(`${stack.apiUrl}/requests`, {
    method: 'POST',
    body: ALL_KINDS,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/yaml' },
  });
  expect(posted.status).toBe(202);
  const { requestId } = (await posted.json()) as { requestId: string };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const view = (await (
      await fetch(`${stack.apiUrl}/requests/${requestId}`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as View;
    if (view.resources.every((r) => TERMINAL.has(r.state))) return view;
    if (Date.now() > deadline) throw new Error(`request did not finish: ${JSON.stringify(view.resources)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function simulatorIds(stack: RunningStack): Promise<string[]> {
  const { resources } = (await (await fetch(`${stack.simulatorUrl}/__sim/resources`)).json()) as { resources: { id: string }[] };
  return resources.map((r) => r.id).sort();
}

/** The resource ids the product recorded, as the simulator keys them (a node pool is `<pool id>/<name>`). */
const huaweiIds = (view: View) => {
  const pool = view.resources.find((r) => r.kind === 'ResourcePool')!.huaweiId;
  return view.resources.map((r) => (r.kind === 'NodePool' ? `${pool}/${r.huaweiId}` : r.huaweiId!)).sort();
};

describe('npm start across restarts', () => {
  const baseline = { ...process.env };
  const prefix = `rs${process.pid}`;
  let simulatorPort: number;
  const dirs: string[] = [];
  const stacks: RunningStack[] = [];

  /** A fresh process's environment: nothing the previous start put there (handlers keep their first configuration). */
  async function start(stateDir: string, opts: StackOptions = {}): Promise<RunningStack> {
    for (const key of Object.keys(process.env)) if (!(key in baseline)) delete process.env[key];
    Object.assign(process.env, baseline, {
      POLL_INTERVAL_SECONDS: '0.5',
      WAIT_RECHECK_SECONDS: '0.5',
      SIMULATOR_PORT: String(simulatorPort),
    });
    for (const name of [...SECRETS, 'HUAWEICLOUD_SDK_AK']) delete process.env[name];
    const stack = await startStack({
      stateDir,
      port: 0,
      prefix,
      emulators: { sqsEndpoint: inject('sqsEndpoint'), dynamodbEndpoint: inject('dynamodbEndpoint') },
      print: () => undefined,
      ...opts,
    });
    stacks.push(stack);
    return stack;
  }
  const stop = async (stack: RunningStack) => {
    stacks.splice(stacks.indexOf(stack), 1);
    await stack.stop();
  };
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'hwcp-restart-'));
    dirs.push(dir);
    return join(dir, 'state');
  };

  beforeAll(async () => {
    // Fixed across restarts, as the handlers keep the endpoint they first read.
    simulatorPort = await findFreePort();
  });
  afterAll(async () => {
    await Promise.all(stacks.splice(0).map((s) => s.stop()));
    for (const key of Object.keys(process.env)) if (!(key in baseline)) delete process.env[key];
    Object.assign(process.env, baseline);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  describe('a restart on the same state directory', () => {
    let stateDir: string;
    let first: { stack: RunningStack; banner: string[]; view: View; simulator: string[] };
    let second: { stack: RunningStack; banner: string[]; view: View; simulator: string[] };

    beforeAll(async () => {
      stateDir = tempDir();
      const one = await start(stateDir);
      const oneBanner = banner(one);
      const oneView = await submitAndWait(one, curlToken(oneBanner));
      first = { stack: one, banner: oneBanner, view: oneView, simulator: await simulatorIds(one) };
      await stop(one);

      const two = await start(stateDir);
      const twoBanner = banner(two);
      const twoSimulator = await simulatorIds(two);
      const twoView = await submitAndWait(two, curlToken(twoBanner));
      second = { stack: two, banner: twoBanner, view: twoView, simulator: twoSimulator };
    }, 180_000);
    afterAll(async () => {
      if (second) await stop(second.stack);
    });

    it('keeps the made-up secrets in secrets.json (mode 0600), so the printed curl is the same after the restart', () => {
      const file = join(stateDir, STATE_FILES.secrets);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(stateDir).mode & 0o777).toBe(0o700);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(first.stack.generated);
      expect(Object.keys(first.stack.generated).sort()).toEqual([...SECRETS].sort());
      // The submitter the printed curl uses, and an approver for what the local policy holds for approval.
      expect(first.stack.generated.API_TOKENS).toMatch(
        /^local:submit\+read-all=[A-Za-z0-9_-]{32,},approver:approve\+read-all=[A-Za-z0-9_-]{32,}$/,
      );
      expect(second.stack.generated).toEqual(first.stack.generated);
      expect(curlToken(second.banner)).toBe(curlToken(first.banner));
    });

    it('creates the four resources in the simulator on the first run', () => {
      expect(first.view.resources.map((r) => r.state)).toEqual(['Succeeded', 'Succeeded', 'Succeeded', 'Succeeded']);
      expect(first.simulator).toEqual(huaweiIds(first.view));
    });

    it('finds them in the restarted simulator, so the resubmission is Unchanged for resources that exist', () => {
      expect(second.simulator).toEqual(first.simulator);
      expect(second.view.resources.map((r) => r.state)).toEqual(['Unchanged', 'Unchanged', 'Unchanged', 'Unchanged']);
      expect(huaweiIds(second.view)).toEqual(first.simulator);
    });

    it('prints the exports dlq list needs, and dlq list works with them alone (no AWS keys)', async () => {
      const line = second.banner.find((l) => l.trim().startsWith('export '))!;
      const env = Object.fromEntries(
        line
          .trim()
          .slice('export '.length)
          .split(' ')
          .map((pair) => pair.split('=') as [string, string]),
      );
      expect(env).toEqual({
        STACK_PREFIX: prefix,
        AWS_ENDPOINT_URL_SQS: second.stack.sqsEndpoint,
        TABLE_NAME: `${prefix}-table`,
        AWS_ENDPOINT_URL_DYNAMODB: second.stack.dynamodbEndpoint,
      });
      const out: string[] = [];
      const io: Io = { stdout: (l) => out.push(l), stderr: (l) => out.push(`stderr: ${l}`), readStdin: async () => '' };
      expect(await dlqCommand(['list'], io, env)).toBe(0);
      expect(out).toEqual([
        `0 messages in 3 dead-letter queues under ${prefix}: ${prefix}-dispatch-dlq, ${prefix}-intake-dlq, ${prefix}-notify-dlq`,
      ]);
    });

    it('prints a given API token nowhere: the curl names it instead', () => {
      const token = 'mine:submit+read-all=given-token-given-token-given-token';
      const stack = { ...second.stack, generated: { GITHUB_WEBHOOK_SECRET: 'x'.repeat(32) }, given: ['API_TOKENS'] };
      const lines = banner(stack, { API_TOKENS: token });
      expect(lines.join('\n')).not.toContain('given-token');
      expect(lines).toContain('From your environment (not shown): API_TOKENS');
      expect(curlToken(lines)).toBe('<a token of your API_TOKENS>');
      expect(lines).toContain(`  GITHUB_WEBHOOK_SECRET=${'x'.repeat(32)}`);
    });
  });

  describe('--reset --realistic', () => {
    let before: { generated: Record<string, string>; simulator: string[] };
    let after: { stack: RunningStack; simulator: string[]; durations: unknown };
    let stateDir: string;

    beforeAll(async () => {
      stateDir = tempDir();
      const one = await start(stateDir);
      const created = await httpClient(one.simulatorUrl!)('POST', `/v1/${PID}/notebooks`, notebookBody('nb-before-reset'));
      expect(created.status).toBe(200);
      before = { generated: one.generated, simulator: await simulatorIds(one) };
      await stop(one);
      const two = await start(stateDir, { reset: true, realistic: true });
      const config = (await (await fetch(`${two.simulatorUrl}/__sim/config`)).json()) as { durations: unknown };
      after = { stack: two, simulator: await simulatorIds(two), durations: config.durations };
    }, 120_000);

    it('starts from nothing: the simulator forgot its resources and the secrets are new', () => {
      expect(before.simulator).toHaveLength(1);
      expect(after.simulator).toEqual([]);
      for (const name of SECRETS) expect(after.stack.generated[name]).not.toBe(before.generated[name]);
      expect(JSON.parse(readFileSync(join(stateDir, STATE_FILES.secrets), 'utf8'))).toEqual(after.stack.generated);
    });

    it('runs the simulator with realistic durations and says so', () => {
      expect(after.durations).toEqual(DURATION_PRESETS.realistic);
      expect(after.stack.realistic).toBe(true);
      expect(banner(after.stack).join('\n')).toContain(
        'REALISTIC durations: Notebook 90 s, ResourcePool 15 min, NodePool 8 min, EdgeDeployment 30 s; ' +
          'spec.timeoutMinutes: 1 on a ResourcePool shows TimedOut',
      );
    });
  });
});

describe('npm start options', () => {
  it('parses --reset, --realistic, --fake-providers, --real and --help', () => {
    expect(parseStartArgs([])).toEqual({ help: false, reset: false, realistic: false, fakeProviders: false, real: false });
    expect(parseStartArgs(['--reset', '--realistic', '--fake-providers'])).toEqual({
      help: false,
      reset: true,
      realistic: true,
      fakeProviders: true,
      real: false,
    });
    expect(parseStartArgs(['--help']).help).toBe(true);
    expect(parseStartArgs(['-h']).help).toBe(true);
  });

  it('lists every option in --help', () => {
    for (const option of [
      '--reset',
      '--realistic',
      '--fake-providers',
      '--real',
      '--help',
      'LOCAL_STATE_DIR',
      'secrets.json',
      'simulator.json',
    ])
      expect(START_HELP).toContain(option);
  });

  it.each([
    [['--rest'], /^Unknown option '--rest'$/],
    [['reset'], /^Unexpected argument 'reset'$/],
    [['--real', '--realistic'], /^--realistic sets the simulator's durations, and --real runs without the simulator$/],
  ])('rejects %j with a named error', (argv, message) => {
    expect(() => parseStartArgs(argv)).toThrow(expect.objectContaining({ code: 'START_USAGE', message: expect.stringMatching(message) }));
  });
});
