import { describe, expect, it } from 'vitest';
import type { HuaweiCall, HuaweiTransport } from '../../shared/huaweicloud/client';
import type { Observation } from '../../shared/kinds/adapter';
import { edgeDeploymentStatus } from '../../shared/kinds/edge-deployment';
import { nodePoolStatus } from '../../shared/kinds/node-pool';
import { notebookStatus } from '../../shared/kinds/notebook';
import { adapterOf } from '../../shared/kinds/registry';
import { resourcePoolStatus } from '../../shared/kinds/resource-pool';

/** The verdict without the answer it was read from, which each kind passes through as `observed`. */
const verdict = ({ observed: _observed, ...rest }: Observation) => rest;

// Fixtures follow the field names of the show responses (reference section F); values are made up.
function notebook(status: string, extra: Record<string, unknown> = {}) {
  return {
    id: '5b1a0c3e-0000-4000-8000-000000000001',
    name: 'nb-demo-0001',
    flavor: 'modelarts.vm.cpu.2u',
    status,
    fail_reason: '',
    action_progress: [
      { step: 1, status: 'COMPLETED', description: 'storage ready' },
      { step: 2, status: 'PROCESSING', description: 'compute allocation' },
    ],
    volume: { category: 'EVS', capacity: 5, status: '' },
    ...extra,
  };
}

function pool(phase: string | undefined, message = '') {
  return {
    apiVersion: 'v2',
    kind: 'Pool',
    metadata: { name: 'pool-00000000-aaaa', labels: { 'os.modelarts/name': 'demo' } },
    spec: { type: 'Dedicate', resources: [{ flavor: 'f', count: 1 }] },
    status: { ...(phase === undefined ? {} : { phase }), message, resources: { creating: [], available: [], abnormal: [], deleting: [] } },
  };
}

function nodePool(requested: number, counts: { creating?: number; available?: number; abnormal?: number }) {
  const bucket = (n: number | undefined) => (n ? [{ flavor: 'f', count: n, nodePool: 'np-demo' }] : []);
  return {
    apiVersion: 'v2',
    kind: 'NodePool',
    metadata: { name: 'np-demo' },
    spec: { resources: { flavor: 'f', count: requested, maxCount: requested, nodePool: 'np-demo' } },
    status: {
      resources: {
        creating: bucket(counts.creating),
        available: bucket(counts.available),
        abnormal: bucket(counts.abnormal),
        deleting: [],
      },
    },
  };
}

function deployment(replicas: number, ready: number, state = '') {
  return { id: 'd-1', name: 'edge-demo', replicas, ready_replicas: ready, state, template: { containers: [] } };
}

function pod(state: string, extra: Record<string, unknown> = {}) {
  return {
    id: `pod-${state}`,
    name: `edge-demo-${state.toLowerCase()}`,
    deployment_id: 'd-1',
    state,
    reason: '',
    message: '',
    containers: [],
    ...extra,
  };
}

describe('notebookStatus', () => {
  it.each(['INIT', 'CREATING', 'STARTING', 'SNAPSHOTTING', 'STOPPING', 'DELETING', '', 'SOMETHING_NEW'])('%s is in progress', (value) => {
    expect(notebookStatus(notebook(value)).phase).toBe('InProgress');
  });

  it('carries the current action_progress step into the message', () => {
    expect(verdict(notebookStatus(notebook('CREATING')))).toEqual({
      phase: 'InProgress',
      reason: 'CREATING',
      message: 'compute allocation: PROCESSING',
    });
  });

  it('RUNNING succeeds', () => {
    expect(verdict(notebookStatus(notebook('RUNNING', { action_progress: [] })))).toEqual({ phase: 'Succeeded', reason: 'RUNNING' });
  });

  it('RUNNING with the EVS volume still initialising is not done yet', () => {
    const show = notebook('RUNNING', { volume: { category: 'EVS', status: 'INITIALIZING' } });
    expect(notebookStatus(show)).toMatchObject({ phase: 'InProgress', message: 'volume INITIALIZING' });
  });

  it.each(['CREATE_FAILED', 'START_FAILED', 'ERROR', 'FROZEN', 'STOPPED', 'DELETE_FAILED'])('%s fails', (value) => {
    expect(notebookStatus(notebook(value))).toMatchObject({ phase: 'Failed', reason: value });
  });

  it('puts fail_reason and the failed step into the message', () => {
    const show = notebook('CREATE_FAILED', {
      fail_reason: 'PullImageFailed',
      action_progress: [{ step: 2, status: 'FAILED', description: 'compute allocation' }],
    });
    expect(verdict(notebookStatus(show))).toEqual({
      phase: 'Failed',
      reason: 'CREATE_FAILED',
      message: 'PullImageFailed; compute allocation: FAILED',
    });
  });
});

describe('resourcePoolStatus', () => {
  it.each(['Creating', 'Waiting', '', undefined])('%s is in progress', (phase) => {
    expect(resourcePoolStatus(pool(phase)).phase).toBe('InProgress');
  });

  it('Running succeeds', () => {
    expect(verdict(resourcePoolStatus(pool('Running')))).toEqual({ phase: 'Succeeded', reason: 'Running' });
  });

  it.each(['Abnormal', 'Error', 'CreationFailed', 'ScalingFailed'])('%s fails with status.message', (phase) => {
    expect(verdict(resourcePoolStatus(pool(phase, 'node install failed')))).toEqual({
      phase: 'Failed',
      reason: phase,
      message: 'node install failed',
    });
  });

  it('treats a body without status as in progress', () => {
    expect(resourcePoolStatus({ metadata: { name: 'p' } }).phase).toBe('InProgress');
  });
});

describe('nodePoolStatus', () => {
  it('is in progress while nodes are being created', () => {
    expect(verdict(nodePoolStatus(nodePool(2, { creating: 1, available: 1 })))).toEqual({
      phase: 'InProgress',
      reason: 'Creating',
      message: 'available 1/2, creating 1, abnormal 0',
    });
    expect(nodePoolStatus(nodePool(2, {})).phase).toBe('InProgress');
  });

  it('succeeds when available equals the requested count', () => {
    expect(nodePoolStatus(nodePool(2, { available: 2 }))).toMatchObject({ phase: 'Succeeded' });
  });

  it('fails when nodes are abnormal and nothing is still creating', () => {
    expect(nodePoolStatus(nodePool(2, { available: 1, abnormal: 1 }))).toMatchObject({ phase: 'Failed', reason: 'Abnormal' });
    expect(nodePoolStatus(nodePool(2, { creating: 1, abnormal: 1 })).phase).toBe('InProgress');
  });

  it('accepts the SDK shape where each bucket is a single object', () => {
    const show = { spec: { resources: { count: 3 } }, status: { resources: { available: { count: 3 }, creating: null } } };
    expect(nodePoolStatus(show).phase).toBe('Succeeded');
  });

  it('is in progress when the requested count is unknown', () => {
    expect(nodePoolStatus({ status: { resources: { available: [{ count: 1 }] } } }).phase).toBe('InProgress');
  });
});

describe('edgeDeploymentStatus', () => {
  it('is in progress until ready_replicas reaches replicas', () => {
    expect(edgeDeploymentStatus(deployment(2, 1), [pod('RUNNING'), pod('PENDING')])).toMatchObject({
      phase: 'InProgress',
      message: 'ready 1/2',
    });
  });

  it('succeeds when ready_replicas == replicas', () => {
    expect(verdict(edgeDeploymentStatus(deployment(1, 1), [pod('RUNNING')]))).toEqual({
      phase: 'Succeeded',
      reason: 'Ready',
      message: 'ready 1/1',
    });
    expect(edgeDeploymentStatus(deployment(1, 1)).phase).toBe('Succeeded');
  });

  it.each(['FAILED', 'CREATE_FAIL'])('a %s pod fails the deployment with its reason', (state) => {
    const failing = pod(state, {
      reason: 'ImagePullBackOff',
      containers: [{ name: 'c0', state: 'waiting', reason: 'ErrImagePull', message: 'image not found' }],
    });
    expect(verdict(edgeDeploymentStatus(deployment(1, 0), [failing]))).toEqual({
      phase: 'Failed',
      reason: 'ImagePullBackOff',
      message: `pod edge-demo-${state.toLowerCase()} ${state}; ErrImagePull: image not found`,
    });
  });

  it.each(['FREEZE', 'DELETE_FAILED'])('deployment state %s fails', (state) => {
    expect(edgeDeploymentStatus(deployment(1, 1, state))).toMatchObject({ phase: 'Failed', reason: state });
  });

  it('does not count a body without replicas as ready', () => {
    expect(edgeDeploymentStatus({ id: 'd-1' }).phase).toBe('InProgress');
  });
});

describe('observe', () => {
  /** Answers a show with `answer`, and a pod list with `pods`, for whichever kind asks. */
  function answering(answer: unknown, pods: unknown[] = []): HuaweiTransport & { calls: HuaweiCall[] } {
    const calls: HuaweiCall[] = [];
    return {
      calls,
      send: async (call) => {
        calls.push(call);
        return { status: 200, body: call.path.endsWith('/edgemgr/pods') ? { pods } : answer };
      },
    };
  }
  const target = { projectId: 'p1', poolName: 'pool-1' };

  it("applies each kind's own status semantics and passes the answer through as observed", async () => {
    const running = notebook('RUNNING');
    await expect(adapterOf('Notebook').observe(answering(running), target, 'nb')).resolves.toMatchObject({
      phase: 'Succeeded',
      observed: running,
    });
    await expect(adapterOf('ResourcePool').observe(answering(pool('Error')), target, 'p')).resolves.toMatchObject({ phase: 'Failed' });
    const creating = nodePool(1, { creating: 1 });
    await expect(adapterOf('NodePool').observe(answering(creating), target, 'np')).resolves.toMatchObject({ phase: 'InProgress' });
  });

  it('reads the pods of an edge deployment, which carry its failures', async () => {
    const transport = answering(deployment(1, 0), [pod('CREATE_FAIL')]);
    await expect(adapterOf('EdgeDeployment').observe(transport, target, 'd-1')).resolves.toMatchObject({
      phase: 'Failed',
      observed: deployment(1, 0),
    });
    expect(transport.calls.map((c) => `${c.method} ${c.path} ${JSON.stringify(c.query ?? {})}`)).toEqual([
      'GET /v3/p1/edgemgr/deployments/d-1 {}',
      'GET /v3/p1/edgemgr/pods {"deployment_id":"d-1"}',
    ]);
  });
});
