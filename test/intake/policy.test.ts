/**
 * The policy at intake: with a policy granting repository acme/infra project P only, a push from another
 * repository is refused with the policy's message and nothing is queued, a manifest for another project from
 * acme/infra is refused naming the project, and an API caller no rule matches gets 403 before its body is read.
 * Pushes go through the real intake (fake GitHub over HTTP, DynamoDB Local, fauxqs); calls through the HTTP app.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startFakeProviders, type FakeProviders } from '../../local/fake-providers/git';
import { randomRequestId } from '../../shared/intake/ids';
import { processIntakeMessage } from '../../shared/intake/service';
import type { IntakeDeps, SubmitOutcome } from '../../shared/intake/submit';
import { planSubmission } from '../../shared/manifests/submission';
import { planMarkdown, planSummary } from '../../shared/notify/render';
import { parsePolicy } from '../../shared/policy/document';
import { planSubmitted } from '../../shared/reconcile/plan';
import { getRequestWithResources } from '../../shared/store/requests';
import { appFor, fakeProviderSettings, SECRETS } from '../http/helpers';
import { useLocalResources, type LocalStack } from '../setup/stack';

const P = '0123456789abcdef0123456789abcdef';
const Q = 'fedcba9876543210fedcba9876543210';

const POLICY = await parsePolicy(
  `
apiVersion: hwc-provisioner.io/v1
kind: Policy
denyMessage: "ask #platform in chat for access"
rules:
  - name: infra-repo
    match:
      provider: github
      repository: acme/infra
      branch: main
    grant:
      projects: ["${P}"]
  - name: ci-caller
    match:
      provider: api
      caller: ci
    grant:
      projects: ["${P}"]
      kinds: [Notebook]
`,
  'policy.yaml',
);

const sha = (n: number) => n.toString(16).padStart(40, 'b');

function notebook(name: string, projectId?: string): string {
  const doc = parse(readFileSync('examples/notebook.yaml', 'utf8'));
  doc.metadata.name = name;
  doc.spec.body.name = name.replaceAll('-', '_');
  if (projectId) doc.spec.projectId = projectId;
  return stringify(doc);
}

describe('policy at intake', () => {
  let stack: LocalStack;
  let providers: FakeProviders;
  let deps: IntakeDeps;
  let commit = 0;
  beforeAll(async () => {
    stack = await useLocalResources();
    providers = await startFakeProviders({ githubToken: SECRETS.GITHUB_TOKEN!, gitlabToken: SECRETS.GITLAB_TOKEN! });
    deps = {
      table: { ddb: stack.ddb, tableName: stack.tableName },
      dispatch: { sqs: stack.sqs, queueUrl: stack.queues.dispatch.url },
      defaults: { projectId: P, region: 'cn-north-4' },
      policy: POLICY,
    };
  });
  afterAll(async () => {
    stack.close();
    await providers.close();
  });

  async function push(repository: string, files: Record<string, string>) {
    const after = sha(++commit);
    providers.commits.set(after, files);
    const body = JSON.stringify({
      type: 'github.push',
      requestId: randomRequestId(),
      deliveryId: `d-${commit}`,
      repository,
      branch: 'main',
      before: '0'.repeat(40),
      after,
      user: 'github:alice',
    });
    return (await processIntakeMessage(deps, fakeProviderSettings(providers), { messageId: `m-${commit}`, body })) as SubmitOutcome;
  }

  const queued = () => stack.drainQueue(stack.queues.dispatch.url, { waitMs: 300 });

  it('accepts what the rule grants: acme/infra into project P', async () => {
    await queued();
    const outcome = await push('acme/infra', { 'provisioning/nb.yaml': notebook('nb-granted') });
    expect(outcome).toMatchObject({ status: 'accepted', resources: [{ name: 'nb-granted', state: 'Queued' }] });
    expect(await queued()).toHaveLength(1);
  });

  it('refuses a push from another repository with the policy message, and queues nothing', async () => {
    const outcome = await push('acme/other', { 'provisioning/nb.yaml': notebook('nb-other') });
    expect(outcome.status).toBe('rejected');
    const message = outcome.status === 'rejected' ? outcome.documents[0]!.errors[0]!.message : '';
    expect(message).toContain('no policy rule lets github acme/other');
    expect(message).toContain('ask #platform in chat for access');
    expect(await queued()).toEqual([]);
    const stored = await getRequestWithResources(deps.table, outcome.status === 'rejected' ? outcome.requestId : '');
    expect(stored).toMatchObject({ request: { phase: 'Rejected' }, resources: [] });
  });

  it('refuses a manifest for project Q from acme/infra, naming the project; the whole push with it', async () => {
    const outcome = await push('acme/infra', {
      'provisioning/ok.yaml': notebook('nb-p'),
      'provisioning/q.yaml': notebook('nb-q', Q),
    });
    expect(outcome.status).toBe('rejected');
    const documents = outcome.status === 'rejected' ? outcome.documents : [];
    expect(documents.map((d) => d.file)).toEqual(['provisioning/q.yaml']);
    expect(documents[0]!.errors[0]!.message).toContain(`project ${Q}`);
    expect(await queued()).toEqual([]);
  });

  it('gives a policy verdict per resource in a pull request plan', async () => {
    const files = [
      { file: 'provisioning/p.yaml', text: notebook('nb-plan-p') },
      { file: 'provisioning/q.yaml', text: notebook('nb-plan-q', Q) },
    ];
    const lookups = { store: { table: deps.table, now: () => new Date() }, policy: POLICY };
    const infra = await planSubmitted(lookups, planSubmission(files, deps.defaults), {
      provider: 'github',
      repository: 'acme/infra',
      branch: 'main',
    });
    expect(infra.map((e) => [e.name, e.verdict])).toEqual([
      ['nb-plan-p', 'create'],
      ['nb-plan-q', 'denied'],
    ]);
    expect(infra[0]!.detail).toContain('allowed by policy rule infra-repo');
    expect(infra[1]!.detail).toContain(`no policy rule lets github acme/infra@main provision Notebook in project ${Q}`);
    expect(planMarkdown(infra, { baseRef: 'main', head: 'c'.repeat(40) })).toContain('⛔ denied by policy');
    expect(planSummary(infra)).toEqual({ state: 'failure', description: '1 to create, 1 denied by policy' });
  });

  describe('over HTTP', () => {
    const tokens = {
      ...SECRETS,
      API_TOKENS: [
        { caller: 'ci', token: 'api-token-for-tests-0123456789abcdef', roles: ['submit' as const] },
        { caller: 'stranger', token: 'stranger-token-for-tests-0123456789', roles: ['submit' as const] },
      ],
    };
    const post = (token: string, body: string, query = '') =>
      appFor(stack, { secrets: tokens, governance: { policy: POLICY } }).request(`/requests${query}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/yaml' },
        body,
      });

    it('answers 403 to a caller no rule matches, before reading the body', async () => {
      const response = await post('stranger-token-for-tests-0123456789', 'not even yaml: [');
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: { code: 'POLICY_DENIED' } });
      expect(await queued()).toEqual([]);
    });

    it('refuses a kind the caller is not granted with 422 and the rule words; a dry run says the same', async () => {
      const pool = readFileSync('examples/resource-pool.yaml', 'utf8');
      const response = await post('api-token-for-tests-0123456789abcdef', pool);
      expect(response.status).toBe(422);
      expect(JSON.stringify(await response.json())).toContain('no policy rule lets api ci provision ResourcePool');
      const dry = await post('api-token-for-tests-0123456789abcdef', pool, '?dryRun=true');
      expect(dry.status).toBe(422);
      const accepted = await post('api-token-for-tests-0123456789abcdef', notebook('nb-api'));
      expect(accepted.status).toBe(202);
      expect(await queued()).toHaveLength(1);
    });
  });
});
