/**
 * Preflight at intake and in plans, against the simulator's catalog: a notebook whose flavor Huawei lists as sold
 * out is refused before anything is recorded or queued, in Huawei's words, and a plan shows it as "would fail";
 * a check Huawei cannot answer never blocks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HuaweiCloudClient, type HuaweiCall } from '../../shared/huaweicloud/client';
import { randomRequestId } from '../../shared/intake/ids';
import { submit, type IntakeDeps } from '../../shared/intake/submit';
import { planSubmission } from '../../shared/manifests/submission';
import { planMarkdown } from '../../shared/notify/render';
import { cloudApi } from '../../shared/reconcile/cloud';
import { planSubmitted } from '../../shared/reconcile/plan';
import { SIMULATOR_DEFAULTS } from '../../local/huaweicloud-simulator';
import { notebook, PROJECT_ID, startHarness, type Harness } from '../execution/harness';

const SOLD_OUT = 'modelarts.vm.gpu.t4';

describe('preflight at intake and in plans', () => {
  let h: Harness;
  let deps: IntakeDeps;
  beforeAll(async () => {
    h = await startHarness();
    const response = await fetch(`${h.simulator.url}/__sim/catalog`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ soldOut: [SOLD_OUT] }),
    });
    expect(response.status).toBe(200);
    deps = {
      table: h.deps.table,
      dispatch: h.deps.dispatch,
      defaults: { projectId: PROJECT_ID, region: 'cn-north-4' },
      now: h.deps.now,
      preflight: h.deps.cloud,
    };
  });
  afterAll(() => h.close());

  const soldOut = (suffix: string) => notebook(suffix, (doc) => (doc.spec.body.flavor = SOLD_OUT));
  const queued = () => h.stack.drainQueue(h.stack.queues.dispatch.url, { waitMs: 300 });

  it('refuses a notebook whose flavor is sold out before anything is queued, in Huawei words', async () => {
    await queued();
    const outcome = await submit(deps, {
      requestId: randomRequestId(),
      source: { provider: 'api', ref: 'api:t', caller: 't' },
      files: [{ file: 'nb.yaml', text: soldOut('pf1') }],
    });
    expect(outcome.status).toBe('rejected');
    const [error] = outcome.status === 'rejected' ? outcome.documents[0]!.errors : [];
    expect(error).toMatchObject({ path: 'spec.body.flavor' });
    expect(error!.message).toMatch(/^would fail: flavor modelarts\.vm\.gpu\.t4 is sold out/);
    expect(await queued()).toEqual([]);
    // An available flavor passes the same checks and is queued.
    const fine = await submit(deps, {
      requestId: randomRequestId(),
      source: { provider: 'api', ref: 'api:t', caller: 't' },
      files: [{ file: 'nb.yaml', text: notebook('pf2') }],
    });
    expect(fine.status).toBe('accepted');
    expect(await queued()).toHaveLength(1);
  });

  it('shows it in a plan as "would fail: flavor ... sold out"', async () => {
    const entries = await planSubmitted(
      { store: { table: h.deps.table, now: h.deps.now }, cloud: h.deps.cloud },
      planSubmission([{ file: 'provisioning/nb.yaml', text: soldOut('pf3') }], deps.defaults),
      { provider: 'github', repository: 'acme/infra' },
    );
    expect(entries).toEqual([
      expect.objectContaining({
        kind: 'Notebook',
        name: 'nb-pf3',
        verdict: 'conflict',
        detail: expect.stringMatching(/^flavor modelarts\.vm\.gpu\.t4 is sold out/),
      }),
    ]);
    const comment = planMarkdown(entries, { baseRef: 'main', head: 'a'.repeat(40) });
    expect(comment).toContain('⚠️ would fail: flavor modelarts.vm.gpu.t4 is sold out');
  });

  it('asks Huawei each look-up once for resources that share it, and again for the next submission', async () => {
    const client = new HuaweiCloudClient({
      credentials: { ak: SIMULATOR_DEFAULTS.ak, sk: SIMULATOR_DEFAULTS.sk },
      modelartsEndpoint: h.simulator.url,
      iefEndpoint: h.simulator.url,
      retryBudgetMs: 2000,
    });
    const reached: HuaweiCall[] = [];
    const cloud = cloudApi({
      send: (call) => {
        reached.push(call);
        return client.send(call);
      },
    });
    const submitThree = (suffixes: string[]) =>
      submit(
        { ...deps, preflight: cloud },
        {
          requestId: randomRequestId(),
          source: { provider: 'api', ref: 'api:t', caller: 't' },
          files: [{ file: 'nb.yaml', text: suffixes.map((suffix) => notebook(suffix)).join('---\n') }],
        },
      );
    expect(await submitThree(['pf6', 'pf7', 'pf8'])).toMatchObject({ status: 'accepted' });
    const asked = reached.map((call) => `${call.method} ${call.path}`);
    // Three notebooks on one flavor and one image: each look-up is read once, not once per notebook.
    expect(asked.length).toBeGreaterThan(0);
    expect(new Set(asked).size).toBe(asked.length);
    expect(asked.every((line) => line.startsWith('GET '))).toBe(true);
    expect(await queued()).toHaveLength(3);
    // Nothing is kept: the next submission's checks read Huawei again, as many times.
    expect(await submitThree(['pf9', 'pf10', 'pf11'])).toMatchObject({ status: 'accepted' });
    expect(reached.map((call) => `${call.method} ${call.path}`)).toEqual([...asked, ...asked]);
    await queued();
  });

  it('never blocks on a check Huawei cannot answer: accepted, the plan saying it could not check', async () => {
    await h.faults({ rate500: 1 });
    try {
      const outcome = await submit(deps, {
        requestId: randomRequestId(),
        source: { provider: 'api', ref: 'api:t', caller: 't' },
        files: [{ file: 'nb.yaml', text: soldOut('pf4') }],
      });
      expect(outcome.status).toBe('accepted');
      const [entry] = await planSubmitted(
        { store: { table: h.deps.table, now: h.deps.now }, cloud: h.deps.cloud },
        planSubmission([{ file: 'provisioning/nb.yaml', text: soldOut('pf5') }], deps.defaults),
        { provider: 'github', repository: 'acme/infra' },
      );
      expect(entry).toMatchObject({ verdict: 'create', detail: expect.stringContaining('preflight could not check: flavor:') });
    } finally {
      await h.faults({ rate500: 0 });
      await queued();
    }
  }, 30_000);
});
