/**
 * The request examples of Huawei's create pages, verbatim: the valid body each kind's manifest test starts from,
 * and the day-2 tests' starting point (a change is one of these with one field altered). Functions, so each test
 * gets its own copy.
 */
import type { ResourceSpec } from '../../shared/kinds/adapter';

type Body = Record<string, any>;

/** CreateNotebook, first request example (flavor, strong affinity). */
export const notebookExample = (): Body => ({
  name: 'notebooks_test',
  feature: 'NOTEBOOK',
  workspace_id: '0',
  description: 'api-test',
  flavor: 'modelarts.vm.cpu.2u',
  image_id: 'e1a07296-22a8-4f05-8bc8-e936c8e54090',
  volume: { category: 'evs', ownership: 'managed', capacity: 50 },
  pool_id: 'pool-test1202-06024304be00d5092fbdc0013d201342',
  affinity: {
    required_during_scheduling_ignored_during_execution: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['192.168.1.1'] }],
  },
});

/** CreatePool (a physical training pool). */
export const poolExample = (): Body => ({
  kind: 'Pool',
  apiVersion: 'v2',
  metadata: {
    labels: { 'os.modelarts/name': 'pool-001', 'os.modelarts/workspace.id': '0' },
    annotations: { 'os.modelarts/description': '', 'os.modelarts/billing.mode': '0' },
  },
  spec: {
    type: 'Dedicate',
    scope: ['Train'],
    network: { name: 'net-0123-86c13962597848eeb29c5861153a391f' },
    resources: [{ flavor: 'modelarts.vm.gpu.tnt004', count: 2 }],
    driver: { gpuVersion: '440.31' },
  },
});

/** CreateNodePool (identical in English and Chinese). */
export const nodePoolExample = (): Body => ({
  kind: 'NodePool',
  apiVersion: 'v2',
  metadata: { name: 'nodepool-1', annotations: {} },
  spec: {
    resources: {
      nodePool: 'nodepool-1',
      flavor: 'modelarts.vm.2u4g.dcc',
      count: 1,
      maxCount: 1,
      network: {
        vpc: '277e9abc-0e6b-431a-9232-cfd25d5fc566',
        subnet: '03796378-c356-4c14-826b-e4913aa9c8b9',
        securityGroups: ['0a15b48d-06f1-41e4-b782-ade90087bf59'],
      },
    },
  },
});

/** IEF CreateDeployment: one edge node, host network. */
export const deploymentExample = (): Body => ({
  name: 'app',
  description: 'this is a test app',
  node_ids: ['9ebd8efb-9fdd-44a1-abda-9cdbc287a867'],
  tags: [{ key: 'app', value: 'test' }],
  deployment: {
    replicas: 1,
    template: {
      configs: { host_network: true, host_pid: true, restart_policy: 'Always', toleration_seconds: 300 },
      containers: [
        {
          name: 'container-0',
          image_url: 'nginx:alpine',
          resources: { limits: { cpu: '0.25', memory: '500' }, requests: { cpu: '0.25', memory: '500' } },
        },
      ],
    },
  },
});

/** A spec around a body, and the same spec after `change` edits a copy of the body. */
export function specs(body: Body, change: (copy: Body) => void, extra: Record<string, unknown> = {}): [ResourceSpec, ResourceSpec] {
  const next = structuredClone(body);
  change(next);
  return [
    { body, ...extra },
    { body: next, ...extra },
  ];
}
