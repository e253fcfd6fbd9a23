/**
 * A managed resource belongs to the namespace that first created it. Another namespace's request for the same
 * identity is refused before anything is queued, naming the owner: a 422 for POST /requests, a rejected
 * request for a push. OWNER_GROUPS lets one team own from several namespaces. Two namespaces racing before
 * either created it meet at the claim, where one wins and the other fails naming it.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { SecretsEnvSchema } from '../../shared/config';
import { randomRequestId } from '../../shared/intake/ids';
import { submit } from '../../shared/intake/submit';
import { ownerOf } from '../../shared/reconcile/owner';
import { claimManaged, getManaged } from '../../shared/store/managed';
import type { RequestSource } from '../../shared/store/types';
import { PROJECT_ID as SIM_PROJECT, startHarness, type Harness } from '../execution/harness';
import { appFor, intakeDepsFor, PROJECT_ID, SECRETS } from '../http/helpers';
import { useLocalResources, type LocalStack } from '../setup/stack';

const EDGE = readFileSync('examples/edge-deployment.yaml', 'utf8');
const edge = (name: string) => {
  const doc = parse(EDGE);
  doc.metadata.name = name;
  doc.spec.body.name = name;
  return stringify(doc);
};
const push = (repository: string): RequestSource => ({
  provider: 'github',
  ref: `${repository}@${'d'.repeat(40)}`,
  repository,
  commit: 'd'.repeat(40),
  branch: 'main',
});
const api = (caller: string): RequestSource => ({ provider: 'api', ref: `api:${caller}`, caller });

describe('ownership at intake', () => {
  const CI = 'ci-token-0123456789abcdef0123456789';
  const OTHER = 'other-token-0123456789abcdef01234567';
  const { API_TOKENS } = SecretsEnvSchema.parse({ API_TOKENS: `ci=${CI},other=${OTHER}` });
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await useLocalResources();
  });
  afterAll(() => stack.close());

  /** Records a request from `source` and lets it claim its resource, as the dispatcher does first. */
  async function claimedBy(source: RequestSource, name: string, groups?: ReadonlyMap<string, string>) {
    const deps = { ...intakeDepsFor(stack), ...(groups ? { ownerGroups: groups } : {}) };
    const outcome = await submit(deps, { requestId: randomRequestId(), source, files: [{ file: 'p/a.yaml', text: edge(name) }] });
    expect(outcome.status).toBe('accepted');
    const owner = ownerOf(source, groups);
    await claimManaged(deps.table, {
      projectId: PROJECT_ID,
      kind: 'EdgeDeployment',
      name,
      region: 'cn-north-4',
      requestId: outcome.status === 'accepted' ? outcome.requestId : '',
      owner,
      source: { provider: source.provider, ref: source.ref, file: 'p/a.yaml' },
      desired: {},
      specHash: 'x',
      conditions: { Ready: cond(), Synced: cond(), Healthy: cond() },
      now: new Date().toISOString(),
    });
    await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 200 });
  }
  const cond = () => ({ status: 'Unknown' as const, reason: 'Test', lastTransitionTime: new Date().toISOString() });

  it('answers another API caller 422 naming the owner, and queues nothing', async () => {
    await claimedBy(api('ci'), 'own-api');
    const app = appFor(stack, { secrets: { ...SECRETS, API_TOKENS } });
    const response = await app.request('/requests', {
      method: 'POST',
      body: edge('own-api'),
      headers: { 'content-type': 'application/yaml', authorization: `Bearer ${OTHER}` },
    });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: { details: { documents: { errors: { path: string; message: string }[] }[] } } };
    expect(body.error.details.documents[0]!.errors).toEqual([
      expect.objectContaining({
        path: 'metadata.name',
        message: `EdgeDeployment/own-api in project ${PROJECT_ID} is managed by api:ci; only that owner may change it`,
      }),
    ]);
    expect(await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 200 })).toEqual([]);
    // The owner itself is accepted.
    const own = await app.request('/requests', {
      method: 'POST',
      body: edge('own-api'),
      headers: { 'content-type': 'application/yaml', authorization: `Bearer ${CI}` },
    });
    expect(own.status).toBe(202);
  });

  // Either way round: a caller who claimed a name first cannot be overridden by a repository's push, nor the reverse.
  it('rejects a push from another namespace with a message naming the owner', async () => {
    await claimedBy(api('ci'), 'own-push');
    const outcome = await submit(intakeDepsFor(stack), {
      requestId: randomRequestId(),
      source: push('acme/infra'),
      files: [{ file: 'provisioning/app.yaml', text: edge('own-push') }],
    });
    expect(outcome).toMatchObject({ status: 'rejected' });
    const documents = outcome.status === 'rejected' ? outcome.documents : [];
    expect(documents[0]!.errors[0]!.message).toContain('is managed by api:ci');
  });

  it('lets every namespace of an OWNER_GROUPS team change what the team owns', async () => {
    const groups = new Map([
      ['api:ci', 'platform'],
      ['github:acme/infra', 'platform'],
    ]);
    await claimedBy(api('ci'), 'own-group', groups);
    const deps = { ...intakeDepsFor(stack), ownerGroups: groups };
    const fromRepo = await submit(deps, {
      requestId: randomRequestId(),
      source: push('Acme/Infra'),
      files: [{ file: 'a.yaml', text: edge('own-group') }],
    });
    expect(fromRepo.status).toBe('accepted');
    const fromElsewhere = await submit(deps, {
      requestId: randomRequestId(),
      source: push('acme/other'),
      files: [{ file: 'a.yaml', text: edge('own-group') }],
    });
    expect(fromElsewhere.status).toBe('rejected');
  });
});

describe('ownership at the claim', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('lets the first namespace create and fails the other one naming it, creating once', async () => {
    // Both accepted before either claimed: intake saw no managed resource yet.
    const fromApi = await h.submitYaml(edge('race-app'), api('ci'));
    const fromRepo = await h.submitYaml(edge('race-app'), push('acme/infra'));
    await h.drive(fromApi);
    await h.drive(fromRepo);
    const states = [(await h.request(fromApi))!.resources[0]!, (await h.request(fromRepo))!.resources[0]!];
    expect(states.map((r) => r.state).sort()).toEqual(['Failed', 'Succeeded']);
    const loser = states.find((r) => r.state === 'Failed')!;
    const winner = states.find((r) => r.state === 'Succeeded')!;
    expect(loser).toMatchObject({ reason: 'OwnedElsewhere' });
    expect(loser.message).toContain(`is managed by ${winner.owner}`);
    expect((await h.simResources()).filter((r) => r.name === 'race-app')).toHaveLength(1);
    expect(await getManaged(h.deps.table, SIM_PROJECT, 'EdgeDeployment', 'race-app')).toMatchObject({
      owner: winner.owner,
      state: 'Succeeded',
      generation: 1,
      requestIds: [winner.requestId],
      conditions: { Ready: { status: 'True' }, Synced: { status: 'True' }, Healthy: { status: 'True' } },
    });
  });
});
