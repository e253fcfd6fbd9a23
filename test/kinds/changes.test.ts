/**
 * fixedChanges and changes per kind, on the request examples of Huawei's create pages: which changed fields apply
 * in place (and what applying them does), which are refused and why, by manifest path.
 */
import { describe, expect, it } from 'vitest';
import type { KindAdapter } from '../../shared/kinds/adapter';
import { edgeDeployment } from '../../shared/kinds/edge-deployment';
import { nodePool } from '../../shared/kinds/node-pool';
import { notebook } from '../../shared/kinds/notebook';
import { resourcePool } from '../../shared/kinds/resource-pool';
import { deploymentExample, nodePoolExample, notebookExample, poolExample, specs } from './request-examples';

type Body = Record<string, any>;

const fixedPaths = (adapter: KindAdapter, [current, next]: ReturnType<typeof specs>) =>
  adapter.fixedChanges(current, next).map((f) => f.path);

describe('Notebook', () => {
  it('flavor: in place, restarting the notebook; the plan shows both values', () => {
    const [current, next] = specs(notebookExample(), (b) => (b.flavor = 'modelarts.vm.cpu.8u'));
    expect(notebook.fixedChanges(current, next)).toEqual([]);
    expect(notebook.changes(current, next)).toEqual([
      {
        path: 'spec.body.flavor',
        desired: 'modelarts.vm.cpu.8u',
        observed: 'modelarts.vm.cpu.2u',
        effect: 'restarts the notebook (stop, update, start)',
      },
    ]);
  });

  it('name, description and storage growth: in place while it runs', () => {
    const [current, next] = specs(notebookExample(), (b) => {
      b.name = 'renamed';
      b.description = 'new text';
      b.volume.capacity = 100;
    });
    expect(notebook.fixedChanges(current, next)).toEqual([]);
    expect(notebook.changes(current, next)).toEqual([
      { path: 'spec.body.name', desired: 'renamed', observed: 'notebooks_test' },
      { path: 'spec.body.description', desired: 'new text', observed: 'api-test' },
      { path: 'spec.body.volume.capacity', desired: 100, observed: 50, effect: 'grows the storage to 100 GB' },
    ]);
  });

  it.each<[string, (b: Body) => void, string, RegExp]>([
    ['pool_id', (b) => (b.pool_id = 'pool-other'), 'spec.body.pool_id', /another dedicated pool/],
    ['workspace_id', (b) => (b.workspace_id = '1'), 'spec.body.workspace_id', /another workspace/],
    ['volume category', (b) => (b.volume.category = 'efs'), 'spec.body.volume.category', /storage category/],
    ['volume ownership', (b) => (b.volume.ownership = 'dedicated'), 'spec.body.volume.ownership', /storage ownership/],
    ['volume uri', (b) => (b.volume.uri = 'obs://bucket/dir'), 'spec.body.volume.uri', /storage uri/],
    ['storage shrink', (b) => (b.volume.capacity = 20), 'spec.body.volume.capacity', /can only grow \(50 GB now, 20 GB asked\)/],
    ['storage above 4096 GB', (b) => (b.volume.capacity = 5000), 'spec.body.volume.capacity', /at most 4096 GB/],
    ['key pair', (b) => (b.endpoints = [{ service: 'SSH', key_pair_names: ['kp-2'] }]), 'spec.body.endpoints', /SSH key pair/],
    ['feature (not in the update body)', (b) => (b.feature = 'DEFAULT'), 'spec.body.feature', /update does not take it/],
    ['hooks (not shown by Huawei)', (b) => (b.hooks = { container_hooks: {} }), 'spec.body.hooks', /could not be confirmed/],
  ])('%s cannot change in place', (_title, change, path, reason) => {
    const [current, next] = specs(notebookExample(), change);
    const fixed = notebook.fixedChanges(current, next);
    expect(fixed).toHaveLength(1);
    expect(fixed[0]!.path).toBe(path);
    expect(fixed[0]!.reason).toMatch(reason);
  });

  it('poolRef and region are refused too; timeoutMinutes and updatePolicy are not changes', () => {
    const body = notebookExample();
    delete body.pool_id;
    const [onA, onB] = [
      { body, poolRef: 'pool-a' },
      { body, poolRef: 'pool-b' },
    ];
    expect(notebook.fixedChanges(onA, onB)).toEqual([{ path: 'spec.poolRef', reason: 'a notebook cannot move to another dedicated pool' }]);
    const [a, b] = specs(body, () => {}, { region: 'cn-north-4' });
    expect(notebook.fixedChanges(a, { ...b, region: 'ap-southeast-1' })).toEqual([
      { path: 'spec.region', reason: 'a notebook cannot move to another region' },
    ]);
    expect(notebook.changes(a, { ...b, timeoutMinutes: 5, updatePolicy: 'Recreate' })).toEqual([]);
  });

  it('allowed SSH addresses change in place with a restart; the key pair stays', () => {
    const body = { ...notebookExample(), endpoints: [{ service: 'SSH', key_pair_names: ['kp-1'], allowed_access_ips: ['10.0.0.1'] }] };
    const [current, next] = specs(body, (b) => (b.endpoints[0].allowed_access_ips = ['10.0.0.2']));
    expect(notebook.fixedChanges(current, next)).toEqual([]);
    expect(notebook.changes(current, next)).toMatchObject([
      { path: 'spec.body.endpoints[service=SSH].allowed_access_ips', effect: 'restarts the notebook (stop, update, start)' },
    ]);
  });
});

describe('ResourcePool', () => {
  it('a count change: in place, the entry named by flavor, with what it orders', () => {
    const [current, next] = specs(poolExample(), (b) => (b.spec.resources[0].count = 5));
    expect(resourcePool.fixedChanges(current, next)).toEqual([]);
    expect(resourcePool.changes(current, next)).toEqual([
      {
        path: 'spec.body.spec.resources[flavor=modelarts.vm.gpu.tnt004].count',
        desired: 5,
        observed: 2,
        effect: 'orders 3 more node(s) (billed)',
      },
    ]);
  });

  it('entries are matched by (flavor, nodePool, creatingStep), not position: a reorder is no change', () => {
    const body = poolExample();
    body.spec.resources = [
      { flavor: 'a', count: 1 },
      { flavor: 'b', count: 1, nodePool: 'np-b' },
    ];
    const [current, next] = specs(body, (b) => b.spec.resources.reverse());
    expect(resourcePool.changes(current, next)).toEqual([]);
    const [, added] = specs(body, (b) => b.spec.resources.push({ flavor: 'c', count: 2 }));
    expect(resourcePool.changes(current, added)).toEqual([
      {
        path: 'spec.body.spec.resources[flavor=c]',
        desired: { flavor: 'c', count: 2 },
        observed: undefined,
        effect: 'orders 2 more node(s) (billed)',
      },
    ]);
    expect(resourcePool.fixedChanges(current, added)).toEqual([]);
  });

  it('description, scope and driver change in place; scope is a set', () => {
    const [current, next] = specs(poolExample(), (b) => {
      b.metadata.annotations['os.modelarts/description'] = 'training';
      b.spec.scope = ['Train', 'Infer'];
    });
    expect(resourcePool.fixedChanges(current, next)).toEqual([]);
    expect(resourcePool.changes(current, next).map((c) => c.path)).toEqual([
      'spec.body.metadata.annotations["os.modelarts/description"]',
      'spec.body.spec.scope',
    ]);
    const [a, b] = specs({ ...poolExample(), spec: { ...poolExample().spec, scope: ['Train', 'Infer'] } }, (x) => x.spec.scope.reverse());
    expect(resourcePool.changes(a, b)).toEqual([]);
  });

  it.each<[string, (b: Body) => void, string, RegExp]>([
    ['name label', (b) => (b.metadata.labels['os.modelarts/name'] = 'pool-002'), 'spec.body.metadata.labels["os.modelarts/name"]', /name/],
    [
      'workspace',
      (b) => (b.metadata.labels['os.modelarts/workspace.id'] = '1'),
      'spec.body.metadata.labels["os.modelarts/workspace.id"]',
      /workspace/,
    ],
    [
      'node prefix',
      (b) => (b.metadata.labels['os.modelarts/node.prefix'] = 'n'),
      'spec.body.metadata.labels["os.modelarts/node.prefix"]',
      /prefix/,
    ],
    ['network', (b) => (b.spec.network.name = 'net-other'), 'spec.body.spec.network.name', /another network/],
    [
      'billing mode',
      (b) => (b.metadata.annotations['os.modelarts/billing.mode'] = '1'),
      'spec.body.metadata.annotations["os.modelarts/billing.mode"]',
      /billing mode/,
    ],
    [
      'billing period',
      (b) => (b.metadata.annotations['os.modelarts/period.num'] = '2'),
      'spec.body.metadata.annotations["os.modelarts/period.num"]',
      /billing period/,
    ],
    ['pool type', (b) => (b.spec.type = 'Logical'), 'spec.body.spec.type', /type/],
  ])('%s cannot change in place', (_title, change, path, reason) => {
    const fixed = resourcePool.fixedChanges(...specs(poolExample(), change));
    expect(fixed.map((f) => f.path)).toEqual([path]);
    expect(fixed[0]!.reason).toMatch(reason);
  });
});

describe('NodePool', () => {
  it('count and maxCount: in place', () => {
    const [current, next] = specs(nodePoolExample(), (b) => Object.assign(b.spec.resources, { count: 3, maxCount: 3 }));
    expect(nodePool.fixedChanges(current, next)).toEqual([]);
    expect(nodePool.changes(current, next)).toEqual([
      { path: 'spec.body.spec.resources.count', desired: 3, observed: 1, effect: 'orders 2 more node(s) (billed)' },
      { path: 'spec.body.spec.resources.maxCount', desired: 3, observed: 1 },
    ]);
  });

  it('the flavor cannot change in place, with the message the plan shows', () => {
    const [current, next] = specs(nodePoolExample(), (b) => (b.spec.resources.flavor = 'modelarts.vm.4u8g.dcc'));
    expect(nodePool.fixedChanges(current, next)).toEqual([
      { path: 'spec.body.spec.resources.flavor', reason: "a node pool's flavor cannot change in place" },
    ]);
  });

  it.each<[string, (b: Body) => void, string]>([
    ['name', (b) => (b.metadata.name = 'nodepool-2'), 'spec.body.metadata.name'],
    [
      'network (settled when a node is built)',
      (b) => (b.spec.resources.network.subnet = 'other'),
      'spec.body.spec.resources.network.subnet',
    ],
    ['os', (b) => (b.spec.resources.os = { name: 'EulerOS' }), 'spec.body.spec.resources.os'],
  ])('%s cannot change in place', (_title, change, path) => {
    expect(fixedPaths(nodePool, specs(nodePoolExample(), change))).toEqual([path]);
  });

  it('a move to another pool is refused', () => {
    const [a, b] = specs(nodePoolExample(), () => {}, { poolName: 'pool-a' });
    expect(nodePool.fixedChanges(a, { ...b, poolName: 'pool-b' })).toEqual([
      { path: 'spec.poolName', reason: 'a node pool cannot move to another pool' },
    ]);
  });
});

describe('EdgeDeployment', () => {
  it('replicas, a container image and an env change in place; containers and envs are named', () => {
    const body = deploymentExample();
    body.deployment.template.containers[0].envs = [{ name: 'MODE', value: 'a' }];
    const [current, next] = specs(body, (b) => {
      b.deployment.replicas = 2;
      b.deployment.template.containers[0].image_url = 'nginx:1.27';
      b.deployment.template.containers[0].envs[0].value = 'b';
    });
    expect(edgeDeployment.fixedChanges(current, next)).toEqual([]);
    expect(edgeDeployment.changes(current, next)).toEqual([
      { path: 'spec.body.deployment.replicas', desired: 2, observed: 1, effect: 'scales to 2 replica(s); the pods restart' },
      {
        path: 'spec.body.deployment.template.containers[name=container-0].image_url',
        desired: 'nginx:1.27',
        observed: 'nginx:alpine',
        effect: 'replaces the pods (rolling restart)',
      },
      {
        path: 'spec.body.deployment.template.containers[name=container-0].envs[name=MODE].value',
        desired: 'b',
        observed: 'a',
        effect: 'replaces the pods (rolling restart)',
      },
    ]);
  });

  it.each<[string, (b: Body) => void, string, RegExp]>([
    ['name', (b) => (b.name = 'app2'), 'spec.body.name', /name/],
    ['node_ids', (b) => (b.node_ids = ['0c5d2f8e-0000-4000-8000-000000000000']), 'spec.body.node_ids', /another edge node/],
    ['group_id', (b) => (delete b.node_ids, (b.group_id = 'g-1')), 'spec.body.group_id', /node group/],
    ['source', (b) => (b.source = 'iem'), 'spec.body.source', /source/],
    ['tags', (b) => (b.tags = [{ key: 'app', value: 'prod' }]), 'spec.body.tags', /tags/],
    ['deployment annotations', (b) => (b.deployment.annotations = { x: 'y' }), 'spec.body.deployment.annotations', /update does not take/],
  ])('%s cannot change in place', (_title, change, path, reason) => {
    const fixed = edgeDeployment.fixedChanges(...specs(deploymentExample(), change));
    expect(fixed.map((f) => f.path)).toContain(path);
    expect(fixed.find((f) => f.path === path)!.reason).toMatch(reason);
  });

  it('a description change alone is in place with no effect', () => {
    const [current, next] = specs(deploymentExample(), (b) => (b.description = 'v2'));
    expect(edgeDeployment.fixedChanges(current, next)).toEqual([]);
    expect(edgeDeployment.changes(current, next)).toEqual([
      { path: 'spec.body.description', desired: 'v2', observed: 'this is a test app' },
    ]);
  });
});
