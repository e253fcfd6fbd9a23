/**
 * The resync against the fake GitHub and GitLab over HTTP and a real table and queues: pushes whose webhooks were
 * lost are provisioned by one tick, one request per missed range, and the lost webhook arriving afterwards makes
 * nothing more.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProviders, type FakeProviders } from '../../local/fake-providers/git';
import { deriveRequestId } from '../../shared/intake/ids';
import type { IntakeJob } from '../../shared/intake/messages';
import { resyncTick, type ResyncDeps } from '../../shared/intake/resync';
import { processIntakeMessage } from '../../shared/intake/service';
import type { IntakeDeps, SubmitOutcome } from '../../shared/intake/submit';
import { notebook } from '../execution/harness';
import { fakeProviderSettings, intakeDepsFor, memoryLogger, SECRETS } from '../http/helpers';
import { getBranch, recordReconciled } from '../../shared/store/branches';
import { useLocalResources, type LocalStack } from '../setup/stack';

const ZERO = '0'.repeat(40);

describe('resync of tracked branches', () => {
  let stack: LocalStack;
  let providers: FakeProviders;
  let deps: IntakeDeps;
  let count = 0;

  beforeAll(async () => {
    stack = await useLocalResources();
    providers = await startFakeProviders({ githubToken: SECRETS.GITHUB_TOKEN!, gitlabToken: SECRETS.GITLAB_TOKEN! });
    deps = intakeDepsFor(stack);
  });
  afterAll(async () => {
    await providers.close();
    stack.close();
  });

  const resyncDeps = (more: Partial<ResyncDeps> = {}): ResyncDeps & { logger: ReturnType<typeof memoryLogger> } => ({
    table: deps.table,
    intakeQueue: { sqs: stack.sqs, queueUrl: stack.queues.intake.url },
    github: { apiUrl: `${providers.url}/github`, token: SECRETS.GITHUB_TOKEN },
    gitlab: { apiUrl: `${providers.url}/gitlab`, token: SECRETS.GITLAB_TOKEN },
    repositories: [],
    ...more,
    logger: memoryLogger(),
  });

  /** A repository in the fake whose branch `main` moves with every commit(). */
  function repository(provider: 'github' | 'gitlab', name: string) {
    const id = 1000 + ++count;
    let head: string | undefined;
    let files: Record<string, string> = {};
    return {
      id,
      name,
      get head() {
        return head!;
      },
      /** A new commit on main adding notebook `suffix`: its webhook is not delivered unless the test delivers it. */
      commit(suffix: string): { before: string; after: string } {
        files = { ...files, [`provisioning/${suffix}.yaml`]: notebook(suffix) };
        const after = randomUUID().replaceAll('-', '').padEnd(40, '0');
        providers.commits.set(after, files);
        if (head) providers.parents.set(after, head);
        providers.setBranch({ provider, repository: name, id, defaultBranch: 'main' }, 'main', after);
        const before = head ?? ZERO;
        head = after;
        return { before, after };
      },
      /** The job the webhook queues for a push (shared/http/deliveries.ts). */
      job({ before, after }: { before: string; after: string }): IntakeJob {
        const common = { deliveryId: randomUUID(), repository: name, branch: 'main', before, after };
        const requestId = deriveRequestId(provider, String(id), 'refs/heads/main', before, after);
        return provider === 'github'
          ? { type: 'github.push', requestId, ...common }
          : { type: 'gitlab.push', requestId, projectId: id, ...common };
      },
    };
  }

  const deliver = async (job: IntakeJob) =>
    (await processIntakeMessage(deps, fakeProviderSettings(providers), {
      messageId: randomUUID(),
      body: JSON.stringify(job),
    })) as SubmitOutcome;

  /** One tick, then what it queued processed by intake as the intake function would. */
  async function tick(more: Partial<ResyncDeps> = {}) {
    const rdeps = resyncDeps(more);
    const result = await resyncTick(rdeps);
    const bodies = await stack.drainQueue(stack.queues.intake.url, { count: result.queued.length, waitMs: 300 });
    const outcomes: SubmitOutcome[] = [];
    for (const body of bodies)
      outcomes.push(
        (await processIntakeMessage(deps, fakeProviderSettings(providers), { messageId: randomUUID(), body })) as SubmitOutcome,
      );
    return {
      result,
      bodies: bodies.map((b) => JSON.parse(b) as Exclude<IntakeJob, { type: 'jira.issue' }>),
      outcomes,
      logger: rdeps.logger,
    };
  }
  const dispatched = (count?: number) => stack.drainQueue(stack.queues.dispatch.url, { waitMs: 300, ...(count ? { count } : {}) });
  const names = (outcome: SubmitOutcome) => (outcome.status === 'accepted' ? outcome.resources.map((r) => r.name).sort() : []);

  it('provisions a push whose webhook was lost within one tick, and the late webhook then creates nothing more', async () => {
    const repo = repository('github', 'acme/lost-one');
    expect((await deliver(repo.job(repo.commit('one-a')))).status).toBe('accepted');
    await dispatched(1);
    const lost = repo.commit('one-b');

    const { result, bodies, outcomes } = await tick();
    const ours = result.queued.filter((q) => q.repository === 'acme/lost-one');
    expect(ours).toEqual([expect.objectContaining({ before: lost.before, after: lost.after, commits: 1 })]);
    // Exactly the job the webhook would have queued: same request id, a delivery id saying where it came from.
    const { deliveryId, ...job } = bodies.find((b) => b.repository === 'acme/lost-one')!;
    const { deliveryId: _webhookDelivery, ...webhook } = repo.job(lost);
    expect(job).toEqual(webhook);
    expect(deliveryId).toMatch(/^resync:[0-9a-f]{12}\.\.[0-9a-f]{12}$/);
    const outcome = outcomes.find((o) => o.status === 'accepted' && o.requestId === webhook.requestId)!;
    expect(names(outcome)).toEqual(['nb-one-b']);
    expect(await dispatched(1)).toHaveLength(1);
    expect((await getBranch(deps.table, 'github', 'acme/lost-one', 'main'))?.commit).toBe(lost.after);

    const late = await deliver(repo.job(lost));
    expect(late).toMatchObject({ status: 'accepted', requestId: webhook.requestId, duplicate: true });
    expect(await dispatched()).toEqual([]);
  });

  it('makes one request for several missed pushes, and each late webhook of the range is answered by it', async () => {
    const repo = repository('gitlab', 'acme/platform/lost-many');
    await deliver(repo.job(repo.commit('many-a')));
    await dispatched(1);
    const pushes = [repo.commit('many-b'), repo.commit('many-c'), repo.commit('many-d')];

    const { result, outcomes } = await tick();
    const ours = result.queued.filter((q) => q.repository === 'acme/platform/lost-many');
    expect(ours).toEqual([expect.objectContaining({ before: pushes[0]!.before, after: pushes[2]!.after, commits: 3 })]);
    const accepted = outcomes.filter((o) => names(o).some((n) => n.startsWith('nb-many')));
    expect(accepted).toHaveLength(1);
    expect(names(accepted[0]!)).toEqual(['nb-many-b', 'nb-many-c', 'nb-many-d']);
    expect(await dispatched(3)).toHaveLength(3);

    const resyncRequest = ours[0]!.requestId;
    for (const push of pushes) {
      const late = await deliver(repo.job(push));
      expect(late).toMatchObject({ status: 'accepted', requestId: resyncRequest, duplicate: true });
    }
    expect(await dispatched()).toEqual([]);
    expect((await tick()).result.queued.filter((q) => q.repository === 'acme/platform/lost-many')).toEqual([]);
  });

  it('never moves a branch back for an older delivery, and never past a gap', async () => {
    const repo = repository('github', 'acme/out-of-order');
    const first = repo.commit('order-a');
    const second = repo.commit('order-b');
    const third = repo.commit('order-c');
    await deliver(repo.job(first));
    await deliver(repo.job(second));
    await deliver(repo.job(third));
    await dispatched(3);
    const stored = async () => (await getBranch(deps.table, 'github', 'acme/out-of-order', 'main'))?.commit;
    expect(await stored()).toBe(third.after);

    // The second push again, under a fresh delivery id, and an older push seen for the first time.
    expect(await deliver(repo.job(second))).toMatchObject({ duplicate: true });
    await deliver(repo.job({ before: ZERO, after: first.after }));
    await dispatched();
    expect(await stored()).toBe(third.after);
    expect((await tick()).result.queued.filter((q) => q.repository === 'acme/out-of-order')).toEqual([]);

    // A push after a lost one does not hide the gap: the branch stays, and the resync covers both.
    const lost = repo.commit('order-d');
    const after = repo.commit('order-e');
    await deliver(repo.job(after));
    await dispatched(1);
    expect(await stored()).toBe(third.after);
    const { result } = await tick();
    expect(result.queued.filter((q) => q.repository === 'acme/out-of-order')).toEqual([
      expect.objectContaining({ before: lost.before, after: after.after, commits: 2 }),
    ]);
    expect(await stored()).toBe(after.after);
    await dispatched();
  });

  it('does nothing but read the heads when no branch moved', async () => {
    // Whatever earlier tests left: a tick brings every branch up to date first.
    await tick();
    await dispatched();
    const calls = providers.calls.length;
    const { result, bodies } = await tick();
    const made = providers.calls.slice(calls);
    expect(result.branches).toBeGreaterThan(0);
    expect(result).toMatchObject({ unchanged: result.branches, failed: 0, deferred: 0, queued: [] });
    expect(bodies).toEqual([]);
    expect(made).toHaveLength(result.branches);
    expect(made.every((call) => call.method === 'GET' && /\/branches\/main$/.test(call.path))).toBe(true);
  });

  it('goes on with the other branches when a provider is out, and the next tick catches up', async () => {
    const down = repository('github', 'acme/outage-down');
    const up = repository('github', 'acme/outage-up');
    await deliver(down.job(down.commit('down-a')));
    await deliver(up.job(up.commit('up-a')));
    await dispatched(2);
    const missedDown = down.commit('down-b');
    const missedUp = up.commit('up-b');

    const failing: typeof fetch = (input, init) =>
      String(input).includes('/outage-down/') ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init);
    const outage = await tick({ github: { apiUrl: `${providers.url}/github`, token: SECRETS.GITHUB_TOKEN, fetch: failing } });
    expect(outage.result.failed).toBe(1);
    expect(outage.result.queued.map((q) => q.after)).toEqual([missedUp.after]);
    expect(outage.logger.lines.filter((l) => l.startsWith('warn'))).toEqual([expect.stringContaining('"repository":"acme/outage-down"')]);
    expect((await getBranch(deps.table, 'github', 'acme/outage-down', 'main'))?.commit).toBe(missedDown.before);

    const recovered = await tick();
    expect(recovered.result.failed).toBe(0);
    expect(recovered.result.queued.map((q) => q.after)).toEqual([missedDown.after]);
    expect(recovered.outcomes.flatMap(names)).toEqual(['nb-down-b']);
    await dispatched();
  });

  it('reconciles a branch named only in RESYNC_REPOSITORIES from its head, every manifest at once', async () => {
    const repo = repository('github', 'acme/never-pushed');
    repo.commit('fresh-a');
    const head = repo.commit('fresh-b');
    const { result, outcomes } = await tick({ repositories: [{ provider: 'github', repository: 'acme/never-pushed' }] });
    const requestId = deriveRequestId('github', String(repo.id), 'refs/heads/main', ZERO, head.after);
    expect(result.queued.filter((q) => q.repository === 'acme/never-pushed')).toEqual([
      expect.objectContaining({ before: ZERO, after: head.after, requestId, commits: 1 }),
    ]);
    expect(names(outcomes.find((o) => o.status === 'accepted' && o.requestId === requestId)!)).toEqual(['nb-fresh-a', 'nb-fresh-b']);
    expect(await getBranch(deps.table, 'github', 'acme/never-pushed', 'main')).toMatchObject({ commit: head.after, repositoryId: repo.id });
    await dispatched();
  });
  it('keeps a branch whose name is as long as git allows (its key is a digest), and finds it again', async () => {
    const table = { ddb: stack.ddb, tableName: stack.tableName };
    const branch = `feature/${'x'.repeat(1_000)}`;
    const push = {
      provider: 'github' as const,
      repository: 'acme/long',
      branch,
      before: '0'.repeat(40),
      after: 'a'.repeat(40),
      requestId: 'req_00000000000000000000000000',
    };
    expect(await recordReconciled(table, push, new Date())).toBe(true);
    expect(await getBranch(table, 'github', 'acme/long', branch)).toMatchObject({ branch, commit: 'a'.repeat(40) });
  });
});
